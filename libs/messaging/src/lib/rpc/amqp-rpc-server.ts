import { Logger } from '@nestjs/common';
import type { ChannelWrapper } from 'amqp-connection-manager';
import type { ConfirmChannel, ConsumeMessage, Options } from 'amqplib';
import { deadLetterQueueFor, MessageHeaders, type DeathReasonCode } from '@hello/contracts';
import { AmqpConnection } from '../connection/amqp-connection';
import { decodeBody } from '../consuming/decode-body';
import { describeError } from '../consuming/delivery-policy';
import { declareTopology } from '../topology/declare-topology';
import { mergeTopologies, TopologySpec, workQueueTopology } from '../topology/topology';
import { failSpan, startPublishSpan, withProcessSpan } from '../tracing/amqp-spans';
import { InFlight } from '../consuming/in-flight';
import { QueueConsumers } from '../consuming/queue-consumers';
import { republishOptions } from '../consuming/republish-options';
import { BoundedMap } from '../memory/bounded-map';

/** One request, as the handler sees it. */
export interface AmqpRpcRequest {
  readonly message: ConsumeMessage;
  /**
   * Stable across redeliveries and re-sends of the same request: its `message_id`, else its
   * `reply_to` and `correlation_id` (unique per caller). Derive the ids of effects from it.
   */
  readonly requestId: string;
  /** When the caller stops waiting (epoch ms, from `MessageHeaders.deadline`), if it said. */
  readonly deadline?: number;
  /** The payload by content type (see decodeBody); throws UndecodableBody. */
  body(): unknown;
}

/** What the handler answers: a JSON body and extra headers (e.g. `MessageHeaders.errorCode`). */
export interface AmqpRpcReply {
  readonly body: object;
  readonly headers?: Readonly<Record<string, unknown>>;
}

/**
 * Answers every request, error replies included: a request is never left unanswered because its
 * input was wrong. A handler that throws is a bug; the request is then dead-lettered (reason
 * `handler-failed`) and its caller times out.
 */
export type AmqpRpcHandler = (request: AmqpRpcRequest) => Promise<AmqpRpcReply>;

export interface AmqpRpcServerOptions {
  /** Shared with the application (not closed by the server). */
  readonly connection: AmqpConnection;
  /** The request queue, a durable quorum work queue (declared with its dead-letter queue). */
  readonly queue: string;
  /** Requests in flight at once (basic.qos). */
  readonly prefetch: number;
  readonly appId: string;
  /** A request with less time than this left before its deadline is dropped unanswered. Default 0. */
  readonly minTimeLeftMs?: number;
  /** How many replies are kept to answer a redelivered request again. Default 10000. */
  readonly replyCacheCapacity?: number;
  /** How long `drain` waits for requests in flight. Default 10000. */
  readonly drainTimeoutMs?: number;
  /** More to declare on every new channel. */
  readonly topology?: TopologySpec;
}

/** Counters of what the server did with its requests (for metrics and health). */
export interface AmqpRpcServerStats {
  /** Replies sent (error replies included) and confirmed by the broker. */
  readonly answered: number;
  /** Of those, error replies. */
  readonly errorReplies: number;
  /** Redelivered or re-sent requests answered again from the reply cache. */
  readonly repeated: number;
  /** Dropped unanswered: past (or too close to) their deadline when picked up. */
  readonly expired: number;
  /** Dead-lettered (no `reply_to`, or the handler failed). */
  readonly deadLettered: number;
}

/** Why a request went to the dead-letter queue (`MessageHeaders.deathReason`). */
export type RpcDeathReason = Extract<DeathReasonCode, 'no-reply-to' | 'handler-failed'>;

/**
 * A request/reply server on one RabbitMQ queue, in the pattern of RabbitMQ's tutorial six, for
 * callers with an exclusive callback queue or with direct reply-to (`amq.rabbitmq.reply-to`).
 *
 * | request                                        | what happens                                               |
 * | ---------------------------------------------- | ---------------------------------------------------------- |
 * | no `reply_to`                                  | dead-lettered (`no-reply-to`, confirmed), then acked       |
 * | less than `minTimeLeftMs` before its deadline  | acked unanswered, not handled (the caller has given up)    |
 * | already answered (same requestId)              | the same reply again (confirmed), then acked; not handled  |
 * | anything else                                  | handled; reply (confirmed) then ack                        |
 * | handler threw                                  | dead-lettered (`handler-failed`), then acked               |
 * | reply or copy not confirmed (channel closed)   | left unacked: the broker redelivers it                     |
 *
 * Replies go to `reply_to` on the default exchange with the request's `correlation_id`, on the
 * channel the request came from, so the ack can follow the reply's confirm. A request that expires
 * in the queue (`expiration`) is dropped by the broker itself. Nothing waits for the broker at
 * start: the channel declares the queue and consumes whenever a connection is up.
 */
export class AmqpRpcServer {
  private readonly logger: Logger;
  private readonly topology: TopologySpec;
  private readonly replies: BoundedMap<AmqpRpcReply>;
  private readonly handling = new Map<string, Promise<void>>();
  private readonly inFlight = new InFlight();
  private readonly consumers = new QueueConsumers();
  private channel?: ChannelWrapper;
  private handler?: AmqpRpcHandler;
  private draining?: Promise<void>;
  private readonly counts = { answered: 0, errorReplies: 0, repeated: 0, expired: 0, deadLettered: 0 };

  constructor(private readonly options: AmqpRpcServerOptions) {
    this.logger = new Logger(`AmqpRpcServer(${options.queue})`);
    this.topology = mergeTopologies(
      workQueueTopology(options.queue),
      options.topology ?? { exchanges: [], queues: [], bindings: [] },
    );
    this.replies = new BoundedMap(options.replyCacheCapacity ?? 10_000);
  }

  /** Starts consuming (now or once the broker is reachable) and answers each request with `handler`. */
  serve(handler: AmqpRpcHandler): void {
    if (this.channel) throw new Error('AmqpRpcServer is already serving');
    this.handler = handler;
    this.channel = this.options.connection.createChannel({
      name: `${this.options.queue}.rpc-server`,
      setup: (channel) => this.setUpChannel(channel),
    });
  }

  /** Resolves once a consumer is on the queue. */
  async waitUntilConsuming(): Promise<void> {
    await this.channel?.waitForConnect();
  }

  /** Connected, with a consumer on the queue and not draining. */
  isConsuming(): boolean {
    return this.options.connection.isConnected() && this.consumers.consuming && !this.draining;
  }

  stats(): AmqpRpcServerStats {
    return { ...this.counts };
  }

  /** Cancels the consumer and waits (up to `drainTimeoutMs`) until the requests in flight are answered. */
  drain(): Promise<void> {
    this.draining ??= this.drainInFlight();
    return this.draining;
  }

  async close(): Promise<void> {
    await this.drain();
    await this.channel?.close().catch(() => undefined);
  }

  private async setUpChannel(channel: ConfirmChannel): Promise<void> {
    await declareTopology(channel, this.topology);
    if (this.draining) return;
    await this.consumers.consume(channel, this.options.queue, this.options.prefetch, (c, message) =>
      this.onDelivery(c, message),
    );
    this.logger.log(`answering requests on '${this.options.queue}' (prefetch ${this.options.prefetch})`);
  }

  private onDelivery(channel: ConfirmChannel, message: ConsumeMessage | null): void {
    if (message === null) {
      this.logger.warn(`the broker cancelled the consumer of '${this.options.queue}'; reconnecting`);
      this.consumers.cancelledByBroker(channel);
      if (!this.draining) setTimeout(() => this.options.connection.manager.reconnect(), 1000).unref();
      return;
    }
    const task = this.handleDelivery(channel, message).catch((error: unknown) =>
      this.logger.error(`unexpected failure while answering a request: ${describeError(error)}`),
    );
    this.inFlight.track(task);
  }

  private async handleDelivery(channel: ConfirmChannel, message: ConsumeMessage): Promise<void> {
    const { replyTo, messageId, correlationId } = message.properties;
    if (typeof replyTo !== 'string' || replyTo === '') {
      await this.deadLetter(channel, message, 'no-reply-to', 'the request has no reply_to: there is nowhere to answer');
      return;
    }
    const requestId =
      typeof messageId === 'string' && messageId ? messageId : `${replyTo}\0${String(correlationId ?? '')}`;
    // A redelivery can arrive while the first delivery is still being answered (its channel died):
    // one after the other, so that the second finds the first one's reply.
    const previous = this.handling.get(requestId);
    // Each delivery is a CONSUMER span, a child of the caller's publish; the handler runs inside it.
    const current = (previous ?? Promise.resolve()).then(() =>
      withProcessSpan(this.options.queue, message, requestId, () => this.answer(channel, message, replyTo, requestId)),
    );
    this.handling.set(requestId, current);
    try {
      await current;
    } finally {
      if (this.handling.get(requestId) === current) this.handling.delete(requestId);
    }
  }

  private async answer(
    channel: ConfirmChannel,
    message: ConsumeMessage,
    replyTo: string,
    requestId: string,
  ): Promise<void> {
    let reply = this.replies.get(requestId);
    if (reply) {
      this.counts.repeated++;
    } else {
      const deadline = deadlineOf(message);
      if (deadline !== undefined && deadline - Date.now() < (this.options.minTimeLeftMs ?? 0)) {
        this.counts.expired++;
        this.logger.debug(`request ${requestId} reached its deadline before it was handled; dropped unanswered`);
        this.ack(channel, message);
        return;
      }
      try {
        reply = await (this.handler as AmqpRpcHandler)({
          message,
          requestId,
          deadline,
          body: () => decodeBody(message),
        });
      } catch (error) {
        this.logger.error(`the handler failed on request ${requestId}: ${describeError(error)}`);
        await this.deadLetter(channel, message, 'handler-failed', describeError(error));
        return;
      }
      // Kept before the reply is confirmed: a redelivery after a lost confirm gets this same reply.
      this.replies.set(requestId, reply);
    }
    const headers: Record<string, unknown> = { ...reply.headers };
    const span = startPublishSpan(
      {
        exchange: '',
        routingKey: replyTo,
        temporary: true,
        messageId: requestId,
        correlationId: message.properties.correlationId,
      },
      headers,
    );
    try {
      await this.publishConfirmed(channel, '', replyTo, Buffer.from(JSON.stringify(reply.body)), {
        contentType: 'application/json',
        correlationId: message.properties.correlationId,
        appId: this.options.appId,
        timestamp: Math.floor(Date.now() / 1000),
        headers,
      });
      span.end();
    } catch (error) {
      failSpan(span, error);
      span.end();
      this.logger.warn(
        `the reply to request ${requestId} was not confirmed (${describeError(error)}); the request stays unacked`,
      );
      return;
    }
    this.counts.answered++;
    if (reply.headers?.[MessageHeaders.errorCode] !== undefined) this.counts.errorReplies++;
    this.ack(channel, message);
  }

  private async deadLetter(
    channel: ConfirmChannel,
    message: ConsumeMessage,
    reason: RpcDeathReason,
    detail: string,
  ): Promise<void> {
    const queue = deadLetterQueueFor(this.options.queue);
    const headers: Record<string, unknown> = {
      ...message.properties.headers,
      [MessageHeaders.deathReason]: reason,
      [MessageHeaders.deathDetail]: detail,
    };
    delete headers['x-delivery-count'];
    try {
      await this.publishConfirmed(channel, '', queue, message.content, republishOptions(message.properties, headers));
    } catch (error) {
      this.logger.warn(`could not dead-letter a request to '${queue}' (${describeError(error)}); it stays unacked`);
      return;
    }
    this.counts.deadLettered++;
    this.logger.warn(`request dead-lettered to '${queue}' (${reason}): ${detail}`);
    this.ack(channel, message);
  }

  private publishConfirmed(
    channel: ConfirmChannel,
    exchange: string,
    routingKey: string,
    content: Buffer,
    options: Options.Publish,
  ): Promise<void> {
    if (!this.consumers.isOpen(channel)) return Promise.reject(new Error('the channel of this request is closed'));
    return new Promise<void>((resolve, reject) => {
      try {
        channel.publish(exchange, routingKey, content, options, (error) => (error ? reject(error) : resolve()));
      } catch (error) {
        reject(error);
      }
    });
  }

  private ack(channel: ConfirmChannel, message: ConsumeMessage): void {
    if (!this.consumers.isOpen(channel)) return;
    try {
      channel.ack(message);
    } catch {
      // The channel closed meanwhile; the broker redelivers the request, answered from the cache.
    }
  }

  private async drainInFlight(): Promise<void> {
    await this.consumers.cancelAll();
    if (!(await this.inFlight.drained(this.options.drainTimeoutMs ?? 10_000)))
      this.logger.warn(`${this.inFlight.size} request(s) still in flight at shutdown; the broker will redeliver them`);
    const { answered, expired, repeated, deadLettered } = this.counts;
    this.logger.log(
      `stopped answering '${this.options.queue}': answered ${answered}, expired ${expired}, repeated ${repeated}, dead-lettered ${deadLettered}`,
    );
  }
}

/** The caller's deadline: `MessageHeaders.deadline` (epoch ms, a number or a numeric string). */
export function deadlineOf(message: ConsumeMessage): number | undefined {
  const value = message.properties.headers?.[MessageHeaders.deadline];
  const deadline = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  return typeof deadline === 'number' && Number.isFinite(deadline) ? deadline : undefined;
}

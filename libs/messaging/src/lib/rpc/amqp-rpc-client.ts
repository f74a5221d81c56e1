import { Logger } from '@nestjs/common';
import { ClientProxy, ReadPacket, WritePacket } from '@nestjs/microservices';
import type { ChannelWrapper } from 'amqp-connection-manager';
import type { ConfirmChannel, ConsumeMessage, Message } from 'amqplib';
import { randomUUID } from 'node:crypto';
import { MessageHeaders } from '@hello/contracts';
import { AmqpConnection } from '../connection/amqp-connection';
import { declareTopology } from '../topology/declare-topology';
import { TopologySpec } from '../topology/topology';
import { failSpan, startPublishSpan } from '../tracing/amqp-spans';
import { AmqpRecord } from '../publishing/amqp-client';
import { BoundedMap } from '../memory/bounded-map';
import { RpcErrorReply, RpcTimeoutError, RpcUnavailableError } from './rpc-errors';

/** RabbitMQ's pseudo-queue for direct reply-to: replies come straight back on the calling channel. */
export const DIRECT_REPLY_TO = 'amq.rabbitmq.reply-to';

export interface AmqpRpcClientOptions {
  /** Shared with the application (not closed by the client). */
  readonly connection: AmqpConnection;
  /** The request queue (routing key on the default exchange). */
  readonly queue: string;
  readonly appId: string;
  /** How long a call waits for its reply; the request's `expiration` and deadline are the same. */
  readonly timeoutMs: number;
  /** Declared on every new channel before requests are sent (e.g. the request queue). */
  readonly topology?: TopologySpec;
  /** How many timed-out calls are remembered to tell a late reply from a stray one. Default 10000. */
  readonly rememberTimedOut?: number;
}

export type AmqpRpcClientStatus = 'connected' | 'disconnected';

interface PendingCall {
  readonly channel: ConfirmChannel;
  readonly timer: NodeJS.Timeout;
  readonly callback: (packet: WritePacket) => void;
}

/**
 * A NestJS ClientProxy for RabbitMQ request/reply with direct reply-to: `send(pattern, data)` publishes
 * one plain AMQP request to `queue` (body: `data` as JSON, or an AmqpRecord's body; `type`: the
 * pattern; `reply_to`: `amq.rabbitmq.reply-to`; a fresh `correlation_id`; `expiration` and
 * `MessageHeaders.deadline` set to the timeout) and emits the reply's JSON body. No Nest envelope on the wire,
 * so any AMQP server in any language can answer it.
 *
 * Fails with RpcTimeoutError when no reply came in time, RpcUnavailableError when not connected (at
 * once), when the broker nacks or returns the request, or when the channel closes before the reply
 * (a direct reply-to reply can only arrive on the channel that sent the request), and RpcErrorReply
 * for an error reply. A reply after its call timed out is dropped and counted (`lateReplies`); it is
 * never given to another call, since each call has its own correlation id.
 */
export class AmqpRpcClient extends ClientProxy<Record<never, never>, AmqpRpcClientStatus> {
  private readonly logger: Logger;
  private readonly channel: ChannelWrapper;
  private readonly pending = new Map<string, PendingCall>();
  private readonly timedOut: BoundedMap<true>;
  private openChannel?: ConfirmChannel;
  private late = 0;
  private stray = 0;

  constructor(private readonly options: AmqpRpcClientOptions) {
    super();
    this.logger = new Logger(`AmqpRpcClient(${options.queue})`);
    this.timedOut = new BoundedMap(options.rememberTimedOut ?? 10_000);
    this.channel = options.connection.createChannel({
      name: `${options.appId}.rpc-client`,
      setup: async (channel) => {
        if (options.topology) await declareTopology(channel, options.topology);
        // The broker returns a request that matched no queue (mandatory) before confirming it.
        channel.on('return', (message: Message) =>
          this.fail(message.properties.correlationId, `no queue '${options.queue}' took the request`),
        );
        channel.once('close', () => {
          if (this.openChannel === channel) this.openChannel = undefined;
          this._status$.next('disconnected');
          this.failAllOn(channel, 'the channel closed before the reply came');
        });
        await channel.consume(DIRECT_REPLY_TO, (message) => this.onReply(message), { noAck: true });
        this.openChannel = channel;
        this._status$.next('connected');
      },
    });
  }

  /** Replies that arrived after their call had timed out (dropped). */
  get lateReplies(): number {
    return this.late;
  }

  /** Replies whose correlation id matched no call of this client, late or not (dropped). */
  get strayReplies(): number {
    return this.stray;
  }

  /** Calls waiting for their reply now. */
  get pendingCalls(): number {
    return this.pending.size;
  }

  /** Ready to send: connected, with the reply consumer in place. */
  isReady(): boolean {
    return !!this.openChannel && this.options.connection.isConnected();
  }

  /** Waits until the channel is set up (`isReady`). */
  async waitUntilReady(): Promise<void> {
    await this.channel.waitForConnect();
  }

  /** Nothing to wait for: the channel opens by itself whenever the broker is reachable. */
  async connect(): Promise<void> {
    return undefined;
  }

  async close(): Promise<void> {
    const channel = this.openChannel;
    this.openChannel = undefined;
    if (channel) this.failAllOn(channel, 'the client was closed');
    await this.channel.close().catch(() => undefined);
  }

  unwrap<T>(): T {
    return this.channel as T;
  }

  protected publish(packet: ReadPacket, settle: (packet: WritePacket) => void): () => void {
    const { queue, timeoutMs } = this.options;
    // The call's PRODUCER span: from the request's publish to its reply, timeout or failure.
    let span: ReturnType<typeof startPublishSpan> | undefined;
    const callback = (result: WritePacket) => {
      if (span) {
        if (result.err) failSpan(span, result.err);
        span.end();
        span = undefined;
      }
      settle(result);
    };
    const channel = this.openChannel;
    if (!channel || !this.options.connection.isConnected()) {
      callback({ err: new RpcUnavailableError(queue, 'not connected to the broker'), isDisposed: true });
      return () => undefined;
    }
    const record = packet.data instanceof AmqpRecord ? packet.data : new AmqpRecord(packet.data as object | string);
    const id = randomUUID();
    const isText = typeof record.body === 'string';
    const timer = setTimeout(() => {
      if (!this.pending.delete(id)) return;
      this.timedOut.set(id, true);
      callback({ err: new RpcTimeoutError(queue, timeoutMs), isDisposed: true });
    }, timeoutMs);
    this.pending.set(id, { channel, timer, callback });
    const headers: Record<string, unknown> = {
      ...record.options.headers,
      [MessageHeaders.deadline]: Date.now() + timeoutMs,
    };
    const messageId = record.options.messageId ?? id;
    const type = this.normalizePattern(packet.pattern);
    span = startPublishSpan(
      {
        exchange: record.options.exchange ?? '',
        routingKey: record.options.routingKey ?? queue,
        messageId,
        correlationId: id,
        type,
      },
      headers,
    );
    try {
      channel.publish(
        record.options.exchange ?? '',
        record.options.routingKey ?? queue,
        Buffer.from(isText ? (record.body as string) : JSON.stringify(record.body), 'utf8'),
        {
          contentType: isText ? 'text/plain; charset=utf-8' : 'application/json',
          replyTo: DIRECT_REPLY_TO,
          correlationId: id,
          messageId,
          type,
          appId: this.options.appId,
          timestamp: Math.floor(Date.now() / 1000),
          // The broker drops the request once the caller has stopped waiting for it.
          expiration: String(timeoutMs),
          mandatory: true,
          headers,
        },
        (error) => {
          if (error) this.fail(id, 'the broker did not accept the request');
        },
      );
    } catch (error) {
      this.fail(id, `publishing failed: ${(error as Error).message}`);
    }
    return () => this.forget(id);
  }

  /** Events are not what this client is for: use AmqpClient. */
  protected async dispatchEvent<T = undefined>(): Promise<T> {
    throw new Error('AmqpRpcClient supports send() only; publish events with AmqpClient');
  }

  private onReply(message: ConsumeMessage | null): void {
    if (!message) return;
    const id = message.properties.correlationId as string | undefined;
    const call = id ? this.pending.get(id) : undefined;
    if (!id || !call) {
      if (id && this.timedOut.delete(id)) this.late++;
      else this.stray++;
      return;
    }
    this.forget(id);
    let body: unknown;
    try {
      body = JSON.parse(message.content.toString('utf8'));
    } catch {
      call.callback({ err: new RpcErrorReply('MALFORMED_REPLY', 'the reply is not JSON'), isDisposed: true });
      return;
    }
    const error = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
    if (error && typeof error.code === 'string') {
      call.callback({ err: new RpcErrorReply(error.code, String(error.message ?? '')), isDisposed: true });
    } else {
      call.callback({ response: body, isDisposed: true });
    }
  }

  private fail(id: string | undefined, reason: string): void {
    const call = id ? this.pending.get(id) : undefined;
    if (!call || !id) return;
    this.forget(id);
    call.callback({ err: new RpcUnavailableError(this.options.queue, reason), isDisposed: true });
  }

  private failAllOn(channel: ConfirmChannel, reason: string): void {
    let failed = 0;
    for (const [id, call] of this.pending) {
      if (call.channel !== channel) continue;
      this.fail(id, reason);
      failed++;
    }
    if (failed > 0) this.logger.warn(`${failed} call(s) failed: ${reason}`);
  }

  private forget(id: string): void {
    const call = this.pending.get(id);
    if (!call) return;
    clearTimeout(call.timer);
    this.pending.delete(id);
  }
}

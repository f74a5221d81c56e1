import { Logger } from '@nestjs/common';
import type { Context } from '@opentelemetry/api';
import type { ChannelWrapper } from 'amqp-connection-manager';
import type { ConfirmChannel, Message, Options } from 'amqplib';
import { AmqpConnection } from '../connection/amqp-connection';
import { BrokerUnavailableError, PublishRefusedError, PublishTimeoutError, UnroutableMessageError } from '../errors';
import { RateLimitedLog } from '../logging/rate-limited-log';
import { Backoff, BackoffOptions } from '../timing/backoff';
import { declareTopology } from '../topology/declare-topology';
import { TopologySpec } from '../topology/topology';
import { failSpan, startPublishSpan } from '../tracing/amqp-spans';

/** Pauses between the tries of one publish: 100 ms more after each failure, at most 1 s. */
const RETRY_BACKOFF: BackoffOptions = { initialMs: 100, maxMs: 1000, growth: 'linear' };

/** A message to publish: the body is the payload itself, metadata goes into AMQP properties. */
export interface OutgoingMessage {
  /** `''` is the default exchange (routes by queue name). */
  readonly exchange: string;
  readonly routingKey: string;
  /** An object is sent as JSON (`application/json`), a string as UTF-8 `text/plain`. */
  readonly body: object | string;
  /** Stable id; consumers de-duplicate on it, so a re-publish must carry the same one. */
  readonly messageId: string;
  /** AMQP `type`, e.g. `hello.message.v1`; consumers dispatch on it. */
  readonly type: string;
  readonly correlationId?: string;
  /** Extra headers; the publish span's `traceparent` (and `tracestate`) are added to them. */
  readonly headers?: Readonly<Record<string, unknown>>;
  /**
   * The trace context the publish belongs to; default: the active one. Set it when the message is
   * published later than it is made (a buffer, an outbox), so the publish span has the right parent.
   */
  readonly traceContext?: Context;
  /**
   * Fail with UnroutableMessageError when no queue receives the message (the broker returns it)
   * instead of counting the confirm as success. Use it for work queues; leave it off for events that
   * may have no subscriber.
   */
  readonly mandatory?: boolean;
}

export interface ConfirmedPublisherOptions {
  readonly connection: AmqpConnection;
  readonly appId: string;
  /** How long `publish` keeps trying (across reconnects) before PublishTimeoutError. Default 10000. */
  readonly timeoutMs?: number;
  /** Declared on every new channel (after each reconnect) before anything is published. */
  readonly topology?: TopologySpec;
  /**
   * Throw BrokerUnavailableError at once, instead of waiting up to `timeoutMs`, while the connection
   * is `unreachable` (its last attempt to connect failed). While it is only reconnecting, publishes
   * still wait. For request paths that answer 503 (with Retry-After) rather than hold the caller.
   */
  readonly failFastWhenUnreachable?: boolean;
  /** Told of every publish that ended (metrics). */
  readonly observer?: PublishObserver;
}

/** What a publish ended with: confirmed by the broker, or failed (timeout, nack, unroutable, refused). */
export type PublishOutcome = 'confirmed' | 'failed';

/** Receives the end of every publish; e.g. to count them and time the confirms. */
export interface PublishObserver {
  published(exchange: string, outcome: PublishOutcome, seconds: number): void;
}

/**
 * Publishes persistent messages and resolves only once the broker has confirmed them (publisher
 * confirms). While the broker is unreachable or the channel is being re-opened, it retries until
 * `timeoutMs` has passed, then throws PublishTimeoutError. A retry after a lost confirm may store the
 * message twice, with the same messageId: consumers de-duplicate on it. A publish the broker refuses
 * (403 ACCESS_REFUSED, which closes the channel) throws PublishRefusedError at once: retrying would
 * only close the channel again and again.
 *
 * Messages go straight onto the underlying confirm channel, never into the ChannelWrapper's own queue
 * (which re-publishes by itself after every re-open, out of this class's sight, and whose bookkeeping
 * costs more per message than the publish itself): while the channel is closed, being set up again or
 * applying back-pressure, a publish waits here until it is writable or its time is up.
 */
export class ConfirmedPublisher {
  private readonly logger = new Logger(ConfirmedPublisher.name);
  private readonly channel: ChannelWrapper;
  private readonly returned = new Set<string>();
  private readonly timeoutMs: number;
  /** The underlying channel, once set up and until it closes. */
  private openChannel?: ConfirmChannel;
  /** False after amqplib asked us to wait for 'drain' (its write buffer is full). */
  private channelHasRoom = true;
  /** Publishes waiting for the channel to be open and writable, first come first served. */
  private readonly writableWaiters: (() => void)[] = [];
  /** The last 403 the broker closed a channel with, and when. */
  private lastRefusal?: { readonly at: number; readonly message: string };
  private readonly log: RateLimitedLog;
  private closed = false;

  constructor(private readonly options: ConfirmedPublisherOptions) {
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.log = new RateLimitedLog(this.logger);
    this.channel = options.connection.createChannel({
      name: `${options.appId}.publisher`,
      setup: async (channel: ConfirmChannel) => {
        // The broker sends basic.return before the confirm of the same message.
        channel.on('return', (message: Message) => {
          const id = message.properties.messageId as string | undefined;
          if (id) this.returned.add(id);
        });
        channel.on('drain', () => {
          if (this.openChannel !== channel) return;
          this.channelHasRoom = true;
          this.wakeWriters();
        });
        channel.on('error', (error: Error & { code?: unknown }) => {
          // Emitted before the pending confirms fail with "channel closed".
          if (error.code === 403) this.lastRefusal = { at: Date.now(), message: error.message };
        });
        channel.once('close', () => {
          if (this.openChannel === channel) this.openChannel = undefined;
        });
        if (options.topology) await declareTopology(channel, options.topology);
        this.openChannel = channel;
        this.channelHasRoom = true;
        this.wakeWriters();
      },
    });
  }

  private pendingCount = 0;

  /** Publishes waiting for their confirm right now. */
  get inFlightCount(): number {
    return this.pendingCount;
  }

  /** Whether the confirm channel is open (set up, topology declared) right now. */
  isChannelOpen(): boolean {
    return this.openChannel !== undefined;
  }

  /** Resolves when the broker has confirmed `message`; see the class comment for failures. */
  async publish(message: OutgoingMessage): Promise<void> {
    const started = performance.now();
    const headers: Record<string, unknown> = { ...message.headers };
    const span = startPublishSpan(message, headers, message.traceContext);
    this.pendingCount++;
    try {
      await this.publishEncoded(message, encode({ ...message, headers }, this.options.appId));
    } catch (error) {
      failSpan(span, error);
      this.options.observer?.published(message.exchange, 'failed', (performance.now() - started) / 1000);
      throw error;
    } finally {
      this.pendingCount--;
      span.end();
    }
    this.options.observer?.published(message.exchange, 'confirmed', (performance.now() - started) / 1000);
  }

  private async publishEncoded(
    message: OutgoingMessage,
    { content, properties }: { content: Buffer; properties: Options.Publish },
  ): Promise<void> {
    const { connection } = this.options;
    if (this.options.failFastWhenUnreachable && connection.state === 'unreachable') {
      throw new BrokerUnavailableError(connection.redactedUrl, connection.lastConnectError);
    }
    const deadline = Date.now() + this.timeoutMs;
    let lastError: Error | undefined;
    let backoff: Backoff | undefined;
    for (;;) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new PublishTimeoutError(message.messageId, this.timeoutMs, lastError);
      const attemptedAt = Date.now();
      try {
        this.returned.delete(message.messageId);
        await this.send(message, content, properties, remaining);
      } catch (error) {
        lastError = error instanceof Error ? error : new Error(String(error));
        const refusal = this.lastRefusal;
        if (refusal && refusal.at >= attemptedAt) {
          throw new PublishRefusedError(message.messageId, message.exchange, refusal.message);
        }
        // Both paths reject with "timeout" once `remaining` has passed.
        if (lastError.message === 'timeout') {
          throw new PublishTimeoutError(
            message.messageId,
            this.timeoutMs,
            this.options.connection.isConnected() ? lastError : new Error('not connected to the broker'),
          );
        }
        this.log.warn(
          `publish failed (${lastError.message}); retrying`,
          `publish of ${message.messageId} failed (${lastError.message}); retrying`,
        );
        backoff ??= new Backoff(RETRY_BACKOFF);
        await sleep(Math.min(backoff.next(), Math.max(deadline - Date.now(), 0)));
        continue;
      }
      if (this.returned.delete(message.messageId) && message.mandatory) {
        throw new UnroutableMessageError(message.messageId, message.exchange, message.routingKey);
      }
      return;
    }
  }

  /** Waits until the channel is open (and its topology declared). */
  async waitForConnect(): Promise<void> {
    await this.channel.waitForConnect();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.openChannel = undefined;
    this.wakeWriters();
    await this.channel.close();
  }

  /** One attempt: resolves on the broker's ack, rejects on a nack, a closed channel or "timeout". */
  private async send(
    message: OutgoingMessage,
    content: Buffer,
    properties: Options.Publish,
    timeoutMs: number,
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let channel = this.openChannel;
    while (!channel || !this.channelHasRoom) {
      if (this.closed) throw new Error('the publisher is closed');
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error('timeout');
      await this.whenWritable(remaining);
      channel = this.openChannel;
    }
    const open = channel;
    await new Promise<void>((resolve, reject) => {
      // A confirm that never comes (e.g. the broker blocks the connection) must not hang the caller.
      const timer = setTimeout(() => reject(new Error('timeout')), Math.max(deadline - Date.now(), 1));
      try {
        const hasRoom = open.publish(message.exchange, message.routingKey, content, properties, (error) => {
          clearTimeout(timer);
          if (error) reject(error);
          else resolve();
        });
        if (this.openChannel === open) this.channelHasRoom = hasRoom;
      } catch (error) {
        // amqplib throws when the channel closed a moment ago.
        clearTimeout(timer);
        reject(error);
      }
    });
  }

  /** Resolves once the channel is open and writable, or after `ms`, whichever comes first. */
  private whenWritable(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        const index = this.writableWaiters.indexOf(done);
        if (index >= 0) this.writableWaiters.splice(index, 1);
        resolve();
      }, ms);
      this.writableWaiters.push(done);
    });
  }

  private wakeWriters(): void {
    for (const waiter of this.writableWaiters.splice(0)) waiter();
  }
}

/** The AMQP body and properties of `message` (see docs/architecture.md, "Messages on the wire"). */
export function encode(message: OutgoingMessage, appId: string): { content: Buffer; properties: Options.Publish } {
  const isText = typeof message.body === 'string';
  const headers: Record<string, unknown> = { ...message.headers };
  return {
    content: Buffer.from(isText ? (message.body as string) : JSON.stringify(message.body), 'utf8'),
    properties: {
      persistent: true,
      mandatory: message.mandatory ?? false,
      contentType: isText ? 'text/plain; charset=utf-8' : 'application/json',
      messageId: message.messageId,
      correlationId: message.correlationId,
      type: message.type,
      appId,
      timestamp: Math.floor(Date.now() / 1000),
      headers,
    },
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

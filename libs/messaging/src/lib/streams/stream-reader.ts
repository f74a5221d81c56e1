import { Logger } from '@nestjs/common';
import type { ChannelWrapper } from 'amqp-connection-manager';
import type { Channel, ConfirmChannel, ConsumeMessage } from 'amqplib';
import { AmqpConnection } from '../connection/amqp-connection';
import { AmqpTlsFiles } from '../config/tls';

/**
 * Where a read starts: the stream's first message still kept, the start of its last chunk, only
 * what is appended from now on, a numeric offset, or a time (the broker starts at the first chunk
 * written at or after it, so a few earlier messages of that chunk may come too).
 */
export type StreamOffset = 'first' | 'last' | 'next' | number | Date;

/** One message of a stream and its offset (the `x-stream-offset` header the broker adds). */
export interface StreamDelivery {
  readonly offset: number;
  readonly message: ConsumeMessage;
}

export interface StreamReaderOptions {
  readonly url: string;
  readonly tls?: AmqpTlsFiles;
  /** `connection_name` of the reader's own connection. */
  readonly connectionName: string;
  /** A queue of type stream. */
  readonly stream: string;
  readonly from: StreamOffset;
  /**
   * `tail`: stop after the last message the stream held when the read started (see `findStreamTail`);
   * `follow`: go on with what is appended until `stop()`.
   */
  readonly until: 'tail' | 'follow';
  /** Unacked messages the broker sends ahead (streams require a prefetch). Default 1000. */
  readonly prefetch?: number;
  /** Wait before each reconnect. Default 1000. */
  readonly reconnectDelayMs?: number;
  /**
   * Reading to the tail from a time after the last message gets nothing at all: after this long with
   * no delivery the read ends. Default 2000.
   */
  readonly emptyAfterMs?: number;
}

interface PendingDelivery {
  readonly offset: number;
  readonly message: ConsumeMessage;
  /** The channel it came on: acked there. */
  readonly channel: Channel;
}

/** What a read went through. */
export interface StreamReadResult {
  /** Messages handed to the handler. */
  readonly delivered: number;
  readonly firstOffset?: number;
  readonly lastOffset?: number;
  /** The tail the read stopped at (`until: 'tail'`); undefined for an empty stream or a follow. */
  readonly tail?: number;
}

/** How long `findStreamTail` waits for the first delivery of the last chunk (none: an empty stream). */
const TAIL_FIRST_DELIVERY_MS = 1_000;
/** The last chunk comes in one burst; this long with nothing more and it has all come. */
const TAIL_QUIET_MS = 150;

/**
 * The offset of the stream's last message, or undefined when it is empty. A consumer from `last` is
 * sent the whole last chunk (RabbitMQ 3.10 has no other way to ask over AMQP 0.9.1: a queue's message
 * count lags, and the management API shows no offsets); the highest offset it gets before the burst
 * ends is the tail.
 */
export async function findStreamTail(connection: AmqpConnection, stream: string): Promise<number | undefined> {
  return connection.withDedicatedChannel(async (channel) => {
    await channel.prefetch(1_000);
    let tail: number | undefined;
    let timer: NodeJS.Timeout | undefined;
    const settled = new Promise<void>((resolve, reject) => {
      timer = setTimeout(resolve, TAIL_FIRST_DELIVERY_MS);
      channel
        .consume(
          stream,
          (message) => {
            if (!message) return resolve();
            const offset = offsetOf(message);
            if (offset !== undefined && (tail === undefined || offset > tail)) tail = offset;
            channel.ack(message);
            clearTimeout(timer);
            timer = setTimeout(resolve, TAIL_QUIET_MS);
          },
          { arguments: { 'x-stream-offset': 'last' } },
        )
        .catch(reject);
    });
    await settled;
    clearTimeout(timer);
    return tail;
  });
}

/**
 * Reads a stream (e.g. the event log) in offset order over AMQP 0.9.1, as streams require: a
 * prefetch, manual acks (an ack only gives the broker credit to send more), and the start given as
 * `x-stream-offset`. Each delivery is handed to the handler one at a time with its offset and acked
 * once the handler is done, so a slow handler holds the reader back.
 *
 * The reader has its own connection. After a reconnect, or when the broker cancels the consumer (the
 * stream's leader was lost), it consumes again from the offset after the last one it took, and drops
 * any repeat, so the handler sees each offset once and in order.
 */
export class StreamReader {
  private readonly logger: Logger;
  private readonly connection: AmqpConnection;
  private channel?: ChannelWrapper;
  /** The highest offset taken in (queued or handled); the next consume starts after it. */
  private lastAccepted?: number;
  private readonly pending: PendingDelivery[] = [];
  private wake?: () => void;
  private stopped = false;
  private tailOffset?: number;
  private lastHandled?: number;

  constructor(private readonly options: StreamReaderOptions) {
    this.logger = new Logger(`StreamReader(${options.stream})`);
    this.connection = new AmqpConnection({
      url: options.url,
      tls: options.tls,
      connectionName: options.connectionName,
      reconnectDelayMs: options.reconnectDelayMs,
    });
  }

  /** The offset of the last message handed to the handler. */
  get lastOffset(): number | undefined {
    return this.lastHandled;
  }

  /**
   * Reads until the tail (or until `stop()`), handing each message to `handle` in order. Throws when
   * the stream does not exist, or when `handle` throws (the reader stops then; its offset is not acked).
   */
  run(handle: (delivery: StreamDelivery) => Promise<void> | void): Promise<StreamReadResult> {
    return this.runBatches(async ([delivery]) => {
      if (delivery) await handle(delivery);
    }, 1);
  }

  /**
   * As `run`, but hands over what has arrived, up to `maxBatch` messages at once (at least one), in
   * order: a catch-up applies many per transaction, a live feed one or a few.
   */
  async runBatches(
    handle: (deliveries: readonly StreamDelivery[]) => Promise<void> | void,
    maxBatch: number,
  ): Promise<StreamReadResult> {
    let delivered = 0;
    let firstOffset: number | undefined;
    try {
      await this.connection.connect();
      // Fails with the broker's 404 when there is no such stream.
      await this.connection.withDedicatedChannel((channel) => channel.checkQueue(this.options.stream));
      if (this.options.until === 'tail') {
        this.tailOffset = await findStreamTail(this.connection, this.options.stream);
        if (this.tailOffset === undefined || this.startsAfterTail()) return { delivered: 0 };
      }
      this.startConsuming();
      const emptyTimer = this.emptyTimer();
      try {
        let reachedTail = false;
        while (!this.stopped && !reachedTail) {
          if (this.pending.length === 0) {
            await new Promise<void>((resolve) => (this.wake = resolve));
            continue;
          }
          clearTimeout(emptyTimer);
          const batch: PendingDelivery[] = [];
          while (batch.length < maxBatch && this.pending.length > 0) {
            const next = this.pending[0] as PendingDelivery;
            if (this.tailOffset !== undefined && next.offset > this.tailOffset) {
              reachedTail = true;
              break;
            }
            batch.push(next);
            this.pending.shift();
            if (this.tailOffset !== undefined && next.offset >= this.tailOffset) {
              reachedTail = true;
              break;
            }
          }
          if (batch.length === 0) break;
          await handle(batch.map(({ offset, message }) => ({ offset, message })));
          const last = batch[batch.length - 1] as PendingDelivery;
          this.lastHandled = last.offset;
          firstOffset ??= (batch[0] as PendingDelivery).offset;
          delivered += batch.length;
          // One ack frame per channel and batch: `allUpTo` on its last delivery (tags rise in order,
          // and the batch holds the oldest deliveries taken in).
          const lastOnChannel = new Map<Channel, PendingDelivery>();
          for (const item of batch) lastOnChannel.set(item.channel, item);
          for (const [channel, item] of lastOnChannel) {
            try {
              channel.ack(item.message, true);
            } catch {
              // That channel is gone; the new one consumes from after lastAccepted anyway.
            }
          }
        }
      } finally {
        clearTimeout(emptyTimer);
      }
      return { delivered, firstOffset, lastOffset: this.lastHandled, tail: this.tailOffset };
    } finally {
      await this.close();
    }
  }

  /** Ends a run after the message being handled (a follow ends this way). */
  stop(): void {
    this.stopped = true;
    this.wake?.();
  }

  private startsAfterTail(): boolean {
    const { from } = this.options;
    if (from === 'next') return true;
    if (from instanceof Date) return from.getTime() > Date.now();
    return typeof from === 'number' && this.tailOffset !== undefined && from > this.tailOffset;
  }

  // From a time, reading to the tail may get nothing at all (no chunk written since): end then.
  private emptyTimer(): NodeJS.Timeout | undefined {
    if (this.options.until !== 'tail' || !(this.options.from instanceof Date)) return undefined;
    return setTimeout(() => {
      if (this.lastAccepted === undefined) this.stop();
    }, this.options.emptyAfterMs ?? 2_000);
  }

  private startConsuming(): void {
    this.channel = this.connection.createChannel({
      name: `stream:${this.options.stream}`,
      setup: (channel) => this.consume(channel),
    });
  }

  private async consume(channel: ConfirmChannel): Promise<void> {
    await channel.prefetch(this.options.prefetch ?? 1_000);
    const start = this.lastAccepted === undefined ? this.options.from : this.lastAccepted + 1;
    await channel.consume(
      this.options.stream,
      (message) => {
        if (!message) {
          // Cancelled by the broker (e.g. the stream's leader went away): consume again from
          // where this left off, on a new connection.
          if (!this.stopped) {
            this.logger.warn(`the broker cancelled the reader of ${this.options.stream}; resuming`);
            this.connection.manager.reconnect();
          }
          return;
        }
        this.accept(message, channel);
      },
      { arguments: { 'x-stream-offset': offsetArgument(start) } },
    );
  }

  private accept(message: ConsumeMessage, channel: Channel): void {
    const offset = offsetOf(message);
    // A repeat after resuming, or a message without an offset (not a stream): never handled twice.
    if (offset === undefined || (this.lastAccepted !== undefined && offset <= this.lastAccepted)) {
      channel.ack(message);
      return;
    }
    this.lastAccepted = offset;
    this.pending.push({ offset, message, channel });
    this.wake?.();
  }

  private async close(): Promise<void> {
    this.stopped = true;
    await this.channel?.close().catch(() => undefined);
    await this.connection.close();
  }
}

/** The `x-stream-offset` header of a stream delivery. */
export function offsetOf(message: ConsumeMessage): number | undefined {
  const value: unknown = message.properties.headers?.['x-stream-offset'];
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  return undefined;
}

// A time goes as an AMQP timestamp (seconds); amqplib needs it spelled out.
function offsetArgument(offset: StreamOffset): unknown {
  if (offset instanceof Date) return { '!': 'timestamp', value: Math.floor(offset.getTime() / 1000) };
  return offset;
}

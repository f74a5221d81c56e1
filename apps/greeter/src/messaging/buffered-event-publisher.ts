import { Logger } from '@nestjs/common';
import { Backoff, type OutgoingMessage } from '@hello/messaging';

/** What a BufferedEventPublisher has done since it was made. */
export interface EventPublishingStats {
  /** Events the broker confirmed. */
  readonly published: number;
  /** Failed publish attempts whose event was put back to be tried again. */
  readonly retried: number;
  /** Events given up on: the buffer was full, or they were still unsent when time ran out at shutdown. */
  readonly dropped: number;
  /** Events waiting to be handed to the broker. */
  readonly queued: number;
  /** Events handed to the broker whose confirm has not arrived yet. */
  readonly unconfirmed: number;
}

export interface BufferedEventPublisherOptions {
  /** Publishes one message; resolves once the broker has confirmed it, rejects when it has not. */
  readonly publish: (message: OutgoingMessage) => Promise<void>;
  /** While false, nothing is handed to `publish`: events wait here, not in the client library. */
  readonly isConnected: () => boolean;
  /**
   * Most events held at once, queued and unconfirmed together. Callers check `hasRoom()` first and
   * refuse the work that would make an event; an event enqueued beyond it anyway is dropped (logged).
   */
  readonly capacity: number;
  /**
   * From this many events held on, the publisher is `backlogged`; it stops being so once the backlog
   * is down to half of it (so that the state does not flap at the mark). Default: `capacity`.
   */
  readonly highWater?: number;
  /** Told each time `backlogged` changes. */
  readonly onBacklogChange?: (backlogged: boolean) => void;
  /** Most events handed to `publish` at once, confirms pending. Default 1000. */
  readonly maxUnconfirmed?: number;
  /** Pause after a failed attempt, doubled for each failure in a row. Default 100. */
  readonly retryDelayMs?: number;
  /** Longest pause between attempts. Default 2000. */
  readonly maxRetryDelayMs?: number;
}

/**
 * Publishes events without making their producer wait: `enqueue` only stores the event and returns,
 * and a pump hands stored events to the broker on a later turn of the event loop, many at once, so
 * that confirms arrive asynchronously and are never awaited one by one.
 *
 * An event stays here until the broker confirms it. A failed attempt puts it back and pauses the pump
 * (exponential backoff); while the connection is down nothing is attempted and events accumulate, up
 * to `capacity`. A caller checks `hasRoom()` before doing the work that makes an event and refuses
 * that work when there is none (the greeter fails the call UNAVAILABLE), so that nothing answered as
 * done loses its event; an event enqueued beyond capacity anyway is dropped and logged at error level
 * with its id. From `highWater` on the publisher reports itself `backlogged`, for readiness. Order is
 * not kept across retries. All of this lives in memory: what is held here when the
 * process dies is lost.
 */
export class BufferedEventPublisher {
  private readonly logger = new Logger(BufferedEventPublisher.name);
  private readonly queue = new Fifo<OutgoingMessage>();
  private readonly inFlight = new Set<OutgoingMessage>();
  private readonly maxUnconfirmed: number;
  private readonly maxRetryDelayMs: number;
  private readonly retryBackoff: Backoff;
  private published = 0;
  private retried = 0;
  private dropped = 0;
  private pumpScheduled = false;
  private pauseTimer?: NodeJS.Timeout;
  private closed = false;
  private idleWaiters: (() => void)[] = [];
  private readonly highWater: number;
  private isBacklogged = false;

  constructor(private readonly options: BufferedEventPublisherOptions) {
    if (!Number.isInteger(options.capacity) || options.capacity < 1) {
      throw new RangeError(`capacity must be a whole number of at least 1, got ${options.capacity}`);
    }
    this.maxUnconfirmed = Math.max(1, Math.min(options.maxUnconfirmed ?? 1000, options.capacity));
    const retryDelayMs = options.retryDelayMs ?? 100;
    this.maxRetryDelayMs = Math.max(options.maxRetryDelayMs ?? 2000, retryDelayMs);
    this.retryBackoff = new Backoff({ initialMs: retryDelayMs, maxMs: this.maxRetryDelayMs, growth: 'exponential' });
    this.highWater = Math.max(1, Math.min(options.highWater ?? options.capacity, options.capacity));
  }

  /**
   * True from the moment `highWater` events are held until the backlog is down to half of that:
   * the broker is not keeping up (or is away), and the buffer is filling up.
   */
  get backlogged(): boolean {
    return this.isBacklogged;
  }

  /** Whether one more event would be stored now (not closed, not at capacity). */
  hasRoom(): boolean {
    return !this.closed && this.pending < this.options.capacity;
  }

  /** Events held now, queued and unconfirmed. */
  get pending(): number {
    return this.queue.length + this.inFlight.size;
  }

  stats(): EventPublishingStats {
    return {
      published: this.published,
      retried: this.retried,
      dropped: this.dropped,
      queued: this.queue.length,
      unconfirmed: this.inFlight.size,
    };
  }

  /**
   * Stores `message` to be published and returns at once; false when it was dropped instead (the
   * buffer is full, or the publisher is closed), which has been logged.
   */
  enqueue(message: OutgoingMessage): boolean {
    if (this.closed) return this.drop(message, 'the publisher is closed (shutting down)');
    if (this.pending >= this.options.capacity) {
      return this.drop(message, `the buffer is full (${this.options.capacity} events waiting for the broker)`);
    }
    this.queue.push(message);
    this.updateBacklog();
    this.schedulePump();
    return true;
  }

  /** The connection is back: try again now rather than at the end of the current pause. */
  wake(): void {
    if (this.closed) return;
    this.retryBackoff.reset();
    this.endPause();
    this.schedulePump();
  }

  /**
   * Keeps publishing until nothing is held or `timeoutMs` has passed, then closes: whatever is still
   * held is dropped (each logged with its id) and new events are refused. Resolves with how many
   * events were dropped that way.
   */
  async flushAndClose(timeoutMs: number): Promise<number> {
    if (!this.closed && this.pending > 0 && timeoutMs > 0) {
      // The pause may have grown long during an outage; the flush has little time, so try promptly.
      this.wake();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        this.idleWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.close();
  }

  /** Refuses new events and drops those still held (each logged); returns how many were dropped. */
  close(): number {
    if (this.closed) return 0;
    this.closed = true;
    this.endPause();
    const unsent = [...this.inFlight, ...this.queue.takeAll()];
    this.inFlight.clear();
    for (const message of unsent) this.drop(message, 'still unconfirmed when the publisher closed');
    this.updateBacklog();
    this.notifyIfIdle();
    return unsent.length;
  }

  private schedulePump(): void {
    if (this.pumpScheduled || this.pauseTimer || this.closed) return;
    this.pumpScheduled = true;
    // A later turn of the event loop: the caller (a gRPC reply) goes out first, and every event
    // stored in the meantime is published in one pass.
    setImmediate(this.runPump);
  }

  private readonly runPump = (): void => {
    this.pumpScheduled = false;
    this.pump();
  };

  private pump(): void {
    if (this.closed || this.pauseTimer || this.queue.length === 0) return;
    if (!this.options.isConnected()) {
      // Nothing is attempted while disconnected; wake() resumes on reconnect, and this pause is
      // a fallback in case that signal is missed.
      this.pause(this.maxRetryDelayMs);
      return;
    }
    while (this.queue.length > 0 && this.inFlight.size < this.maxUnconfirmed) {
      const message = this.queue.shift() as OutgoingMessage;
      this.inFlight.add(message);
      this.options.publish(message).then(
        () => this.onConfirmed(message),
        (error: unknown) => this.onFailed(message, error),
      );
    }
  }

  private onConfirmed(message: OutgoingMessage): void {
    if (!this.inFlight.delete(message)) return;
    this.published++;
    this.retryBackoff.reset();
    this.updateBacklog();
    if (this.queue.length > 0) this.schedulePump();
    else this.notifyIfIdle();
  }

  private onFailed(message: OutgoingMessage, error: unknown): void {
    // Not in flight any more: the publisher closed and has already counted it as dropped.
    if (!this.inFlight.delete(message)) return;
    this.retried++;
    this.queue.unshift(message);
    const reason = error instanceof Error ? error.message : String(error);
    this.logger.debug(`event ${message.messageId} (${message.type}) not confirmed: ${reason}; will retry`);
    if (this.pauseTimer) return;
    const delay = this.retryBackoff.next();
    this.logger.warn(
      `publishing failed (${reason}); ${this.pending} events waiting, retrying in ${delay} ms ` +
        `(published ${this.published}, retried ${this.retried}, dropped ${this.dropped})`,
    );
    this.pause(delay);
  }

  private pause(delayMs: number): void {
    if (this.pauseTimer || this.closed) return;
    this.pauseTimer = setTimeout(() => {
      this.pauseTimer = undefined;
      this.pump();
    }, delayMs);
    this.pauseTimer.unref();
  }

  private endPause(): void {
    clearTimeout(this.pauseTimer);
    this.pauseTimer = undefined;
  }

  private updateBacklog(): void {
    const backlogged = this.isBacklogged
      ? this.pending > Math.floor(this.highWater / 2)
      : this.pending >= this.highWater;
    if (backlogged === this.isBacklogged) return;
    this.isBacklogged = backlogged;
    this.options.onBacklogChange?.(backlogged);
  }

  private drop(message: OutgoingMessage, reason: string): false {
    this.dropped++;
    this.logger.error(`event ${message.messageId} (${message.type}) dropped: ${reason}`);
    return false;
  }

  private notifyIfIdle(): void {
    if (this.pending > 0 && !this.closed) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const waiter of waiters) waiter();
  }
}

/** A FIFO with O(1) shift and unshift (Array#shift copies the whole array). */
class Fifo<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head++] = undefined;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  unshift(item: T): void {
    if (this.head > 0) this.items[--this.head] = item;
    else this.items.unshift(item);
  }

  takeAll(): T[] {
    const rest = this.items.slice(this.head) as T[];
    this.items = [];
    this.head = 0;
    return rest;
  }
}

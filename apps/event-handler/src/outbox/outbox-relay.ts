import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { Backoff, settledWithin } from '@hello/messaging';
import { EVENT_HANDLER_CONFIG, type EventHandlerConfig } from '../config/event-handler.config';
import { EventHandlerMetrics } from '../health/event-handler-metrics';
import { MESSAGE_PUBLISHER, type MessagePublisher } from '../messaging/message-publisher';
import { OutboxStore, type PendingOutboxMessage } from './outbox-store';

/**
 * Publishes the messages projectors put in the outbox, and marks each sent once the broker has
 * confirmed it. A message whose publish fails stays pending and is tried again every
 * EVENT_HANDLER_OUTBOX_RETRY_MS; pending messages are also sent at start-up, which covers a
 * process that died between the commit and the send. Delivery is therefore at least once: a
 * crash after the confirm and before the mark re-sends the message with the same message id,
 * and the consumer de-duplicates by message id.
 *
 * Several replicas may relay from one PostgreSQL database: `OutboxStore.sendOnce` lets exactly one
 * of them publish a message, and every replica sweeps the outbox every
 * EVENT_HANDLER_OUTBOX_RETRY_MS, so what a replica that died left pending is sent by the others.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(OutboxRelay.name);
  private readonly sending = new Map<string, Promise<boolean>>();
  private readonly retryBackoff: Backoff;
  private retryTimer: NodeJS.Timeout | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private pendingSeen = 0;
  private sweep: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly outbox: OutboxStore,
    @Inject(MESSAGE_PUBLISHER) private readonly publisher: MessagePublisher,
    @Inject(EVENT_HANDLER_CONFIG) private readonly config: EventHandlerConfig,
    private readonly metrics: EventHandlerMetrics,
  ) {
    this.retryBackoff = new Backoff({ initialMs: config.outboxRetryMs });
    // As of the last sweep: the metrics are rendered synchronously.
    metrics.gauge('outbox_pending', () => this.pendingSeen);
  }

  onApplicationBootstrap(): void {
    // Not awaited: start-up must not wait for a broker that may be down.
    void this.sendPending();
    this.sweepTimer = setInterval(() => void this.sendPending(), this.config.outboxRetryMs);
    this.sweepTimer.unref();
  }

  /**
   * Publishes the outbox message `messageId` unless it was sent already. Resolves true once it
   * is confirmed (now or earlier) or another replica is publishing it, false when this try failed
   * (a retry is scheduled). Never rejects. Concurrent calls for one message share one publish.
   */
  send(messageId: string): Promise<boolean> {
    const inFlight = this.sending.get(messageId);
    if (inFlight) return inFlight;
    const attempt = this.publish(messageId).finally(() => this.sending.delete(messageId));
    this.sending.set(messageId, attempt);
    return attempt;
  }

  /** Sends every pending message, oldest first, one at a time. */
  sendPending(): Promise<void> {
    this.sweep ??= this.sendEachPending().finally(() => (this.sweep = undefined));
    return this.sweep;
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.sweepTimer);
    const inFlight = Promise.allSettled([...this.sending.values(), this.sweep]);
    if (!(await settledWithin(inFlight, this.config.shutdownGraceMs))) {
      this.logger.warn('outbox sends still running at shutdown: they stay pending for the next start');
    }
  }

  private async sendEachPending(): Promise<void> {
    if (this.stopped || !this.outbox.isOpen) return;
    let pending: PendingOutboxMessage[];
    try {
      pending = await this.outbox.pending();
    } catch (error) {
      this.logger.warn(`could not read the outbox: ${reasonOf(error)}`);
      this.scheduleRetry();
      return;
    }
    this.pendingSeen = pending.length;
    for (const { messageId } of pending) {
      if (this.stopped) return;
      // A failure has already scheduled the next sweep; the rest wait for it.
      if (!(await this.send(messageId))) return;
      this.pendingSeen -= 1;
    }
  }

  private async publish(messageId: string): Promise<boolean> {
    if (this.stopped || !this.outbox.isOpen) return false;
    // Set once the row was read: what failed afterwards is the publish (or the mark).
    const read: { message?: PendingOutboxMessage } = {};
    try {
      const outcome = await this.outbox.sendOnce(messageId, async (pending) => {
        read.message = pending;
        await this.publisher.publish({
          exchange: pending.exchange,
          routingKey: pending.routingKey,
          body: pending.body,
          messageId: pending.messageId,
          type: pending.type,
          correlationId: pending.causeEventId,
          // Outbox messages go to work queues: unroutable is a failure to retry, not a success.
          mandatory: true,
        });
      });
      if (outcome !== 'sent') return true;
    } catch (error) {
      const reason = reasonOf(error);
      const { message } = read;
      if (!message) {
        this.logger.warn(
          `could not read outbox message ${messageId}, retrying in ${this.config.outboxRetryMs} ms: ${reason}`,
        );
        this.scheduleRetry();
        return false;
      }
      // Either the publish failed, or the mark after it did (then it is re-sent, same id).
      this.metrics.increment('outbox_publish_failures_total', { type: message.type });
      if (this.outbox.isOpen) {
        await this.outbox
          .markFailed(messageId, reason)
          .catch((markError: unknown) =>
            this.logger.warn(`could not record the failure of outbox message ${messageId}: ${reasonOf(markError)}`),
          );
      }
      this.logger.warn(
        `could not publish outbox message ${messageId} (${message.type}), retrying in ` +
          `${this.config.outboxRetryMs} ms: ${reason}`,
      );
      this.scheduleRetry();
      return false;
    }
    // If the process dies between the confirm and the commit of the mark, the message is
    // re-sent later with the same id.
    const message = read.message as PendingOutboxMessage;
    this.metrics.increment('outbox_sent_total', { type: message.type });
    this.logger.debug(`published outbox message ${messageId} (${message.type}) to "${message.routingKey}"`);
    return true;
  }

  private scheduleRetry(): void {
    if (this.stopped || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.sendPending();
    }, this.retryBackoff.next());
    this.retryTimer.unref();
  }
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { EVENT_HANDLER_CONFIG, type EventHandlerConfig } from '../config/event-handler.config';
import { Metrics } from '../health/metrics';
import { MESSAGE_PUBLISHER, type MessagePublisher } from '../messaging/message-publisher';
import { ProjectionStore } from '../projections/projection-store';

/**
 * Publishes the messages projectors put in the outbox, and marks each sent once the broker has
 * confirmed it. A message whose publish fails stays pending and is tried again every
 * EVENT_HANDLER_OUTBOX_RETRY_MS; pending messages are also sent at start-up, which covers a
 * process that died between the commit and the send. Delivery is therefore at least once: a
 * crash after the confirm and before the mark re-sends the message with the same message id,
 * and the consumer de-duplicates by message id.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(OutboxRelay.name);
  private readonly sending = new Map<string, Promise<boolean>>();
  private retryTimer: NodeJS.Timeout | undefined;
  private sweep: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly store: ProjectionStore,
    @Inject(MESSAGE_PUBLISHER) private readonly publisher: MessagePublisher,
    @Inject(EVENT_HANDLER_CONFIG) private readonly config: EventHandlerConfig,
    private readonly metrics: Metrics,
  ) {
    metrics.gauge('outbox_pending', () => (store.isOpen ? store.pendingOutboxCount() : 0));
  }

  onApplicationBootstrap(): void {
    // Not awaited: start-up must not wait for a broker that may be down.
    void this.sendPending();
  }

  /**
   * Publishes the outbox message `messageId` unless it was sent already. Resolves true once it
   * is confirmed (now or earlier), false when this try failed (a retry is scheduled). Never
   * rejects. Concurrent calls for one message share one publish.
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
    const inFlight = Promise.allSettled([...this.sending.values(), this.sweep]);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.config.shutdownGraceMs);
    });
    const outcome = await Promise.race([inFlight, timeout]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      this.logger.warn('outbox sends still running at shutdown: they stay pending for the next start');
    }
  }

  private async sendEachPending(): Promise<void> {
    if (this.stopped || !this.store.isOpen) return;
    for (const { messageId } of this.store.pendingOutboxMessages()) {
      if (this.stopped) return;
      // A failure has already scheduled the next sweep; the rest wait for it.
      if (!(await this.send(messageId))) return;
    }
  }

  private async publish(messageId: string): Promise<boolean> {
    if (this.stopped || !this.store.isOpen) return false;
    const message = this.store.pendingOutboxMessage(messageId);
    if (!message) return true;
    try {
      await this.publisher.publish({
        exchange: message.exchange,
        routingKey: message.routingKey,
        body: message.body,
        messageId: message.messageId,
        type: message.type,
        correlationId: message.causeEventId,
        // Outbox messages go to work queues: unroutable is a failure to retry, not a success.
        mandatory: true,
      });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      this.metrics.increment('outbox_publish_failures_total', { type: message.type });
      if (this.store.isOpen) this.store.markOutboxFailed(messageId, reason);
      this.logger.warn(
        `could not publish outbox message ${messageId} (${message.type}), retrying in ` +
          `${this.config.outboxRetryMs} ms: ${reason}`,
      );
      this.scheduleRetry();
      return false;
    }
    // If the process dies right here the message is re-sent at the next start, same id.
    if (this.store.isOpen) this.store.markOutboxSent(messageId);
    this.metrics.increment('outbox_sent_total', { type: message.type });
    this.logger.log(`published outbox message ${messageId} (${message.type}) to "${message.routingKey}"`);
    return true;
  }

  private scheduleRetry(): void {
    if (this.stopped || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.sendPending();
    }, this.config.outboxRetryMs);
    this.retryTimer.unref();
  }
}

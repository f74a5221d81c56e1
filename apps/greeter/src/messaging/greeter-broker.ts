import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Topology } from '@hello/contracts';
import { AmqpConnection, ConfirmedPublisher, eventLogTopology, settledWithin } from '@hello/messaging';
import { Metrics, observeAmqpConnection, publishMetrics } from '@hello/platform';
import { Subject } from 'rxjs';
import { GREETER_CONFIG, type GreeterConfig } from '../config/greeter.config';
import { BufferedEventPublisher } from './buffered-event-publisher';
import { EventsUnavailableError } from './events-unavailable.error';

/**
 * However much of the grace period the gRPC drain used up, the flush of pending events gets at least
 * this long (or the whole grace period when that is shorter).
 */
export const MIN_EVENTS_FLUSH_MS = 1_000;

/** How long one publish may wait for its confirm before the event goes back to the buffer. */
const PUBLISH_ATTEMPT_TIMEOUT_MS = 5_000;
/** How long shutdown lets a channel that is being set up finish before closing it. */
const SETUP_WAIT_MS = 1_000;
/**
 * How long closing the channel and connection may take. A broker that has stopped answering (e.g. a
 * queue without a leader blocks the channel) would otherwise keep the process from ever exiting.
 */
const CLOSE_TIMEOUT_MS = 2_000;

/**
 * The greeter's side of RabbitMQ: one connection that reconnects by itself, a confirmed publisher
 * that declares `hello.events`, and the buffer that integration events wait in until confirmed.
 *
 * Nothing here waits for the broker at start-up, so the greeter serves gRPC while RabbitMQ is down;
 * events wait in the buffer meanwhile. At shutdown (after the gRPC server has drained, so no more
 * greetings are made) pending events are flushed within what is left of the grace period, then the
 * connection closes.
 */
@Injectable()
export class GreeterBroker implements OnApplicationShutdown {
  private readonly logger = new Logger(GreeterBroker.name);
  readonly connection: AmqpConnection;
  readonly publisher: ConfirmedPublisher;
  readonly events: BufferedEventPublisher;
  /** Each crossing of the high-water mark (true: above it). */
  readonly backlogChanged = new Subject<boolean>();
  private shutdownStartedAt?: number;

  constructor(
    @Inject(GREETER_CONFIG) private readonly config: GreeterConfig,
    metrics: Metrics,
  ) {
    this.connection = new AmqpConnection({
      url: config.rabbitmqUrl,
      tls: config.rabbitmqTls,
      connectionName: 'greeter',
    });
    this.publisher = new ConfirmedPublisher({
      connection: this.connection,
      appId: 'greeter',
      // The exchange and the event log every event is kept in.
      topology: eventLogTopology(config.eventLog),
      timeoutMs: PUBLISH_ATTEMPT_TIMEOUT_MS,
      observer: publishMetrics(metrics, 'greeter', () => this.publisher.inFlightCount),
    });
    this.events = new BufferedEventPublisher({
      // A pass of the buffer publishes many events at once; AmqpConnection coalesces their frames
      // into one socket write.
      publish: (message) => this.publisher.publish(message),
      isConnected: () => this.connection.isConnected(),
      capacity: config.eventsBufferSize,
      highWater: config.eventsHighWater,
      onBacklogChange: (backlogged) => {
        if (backlogged) {
          this.logger.warn(
            `${this.events.pending} events are waiting for the broker (high-water mark ${config.eventsHighWater}): ` +
              `reporting NOT_SERVING; calls fail UNAVAILABLE once ${config.eventsBufferSize} are waiting`,
          );
        } else {
          this.logger.log(`the event backlog is down to ${this.events.pending}: reporting SERVING again`);
        }
        // Health follows at once, not at its next poll.
        this.backlogChanged.next(backlogged);
      },
    });
    this.connection.manager.on('connect', () => this.events.wake());
    observeAmqpConnection(metrics, this.connection);
    this.logger.log(
      `publishing events to exchange ${Topology.eventsExchange} at ${this.connection.redactedUrl} ` +
        `(buffer of ${config.eventsBufferSize} events while the broker is unavailable)`,
    );
  }

  /**
   * Throws EventsUnavailableError when an event made now could not be kept until confirmed; call it
   * before making a greeting. The greeting's event is then enqueued in the same turn of the event
   * loop (the EventBus runs its handlers synchronously), so nothing can take the room in between.
   */
  admitEvent(): void {
    if (!this.events.hasRoom())
      throw new EventsUnavailableError(this.events.pending, this.shutdownStartedAt !== undefined);
  }

  /**
   * True while the event backlog is above the high-water mark (GREETER_EVENTS_HIGH_WATER) and until it
   * is down to half of it: what readiness reports as not ready.
   */
  get eventsBacklogged(): boolean {
    return this.events.backlogged;
  }

  /** Marks the start of shutdown: the grace period that bounds the flush counts from here. */
  beginShutdown(): void {
    this.shutdownStartedAt ??= Date.now();
  }

  async onApplicationShutdown(): Promise<void> {
    const grace = this.config.shutdownGraceMs;
    const graceLeft = (this.shutdownStartedAt ?? Date.now()) + grace - Date.now();
    const flushMs = Math.max(graceLeft, Math.min(grace, MIN_EVENTS_FLUSH_MS));
    const pending = this.events.pending;
    if (pending > 0) this.logger.log(`flushing ${pending} pending events (for up to ${flushMs} ms)`);
    const unsent = await this.events.flushAndClose(flushMs);
    // Closing while the channel is still declaring the exchange (a greeter stopped right after it
    // connected) makes amqplib report the cut-off declaration as a channel error.
    if (this.connection.isConnected()) await settledWithin(this.publisher.waitForConnect(), SETUP_WAIT_MS);
    const { published, retried, dropped } = this.events.stats();
    if (unsent > 0) {
      this.logger.error(
        `${unsent} events could not be sent before shutdown (broker ${this.connection.isConnected() ? 'connected' : 'unreachable'}); they are lost`,
      );
    }
    this.logger.log(`events: published ${published}, retried ${retried}, dropped ${dropped}`);
    const closing = (async () => {
      await this.publisher.close();
      await this.connection.close();
    })().catch((error: Error) => this.logger.warn(`closing the connection to the broker failed: ${error.message}`));
    if (!(await settledWithin(closing, CLOSE_TIMEOUT_MS))) {
      this.logger.warn(`the broker did not close the connection within ${CLOSE_TIMEOUT_MS} ms; not waiting for it`);
    }
  }
}

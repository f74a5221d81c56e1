import { LabelledChildren } from './labelled-children';
import type { Metrics } from './metrics';

/** What the consumer metrics need of an AMQP server (`@hello/messaging`'s AmqpServer has it). */
export interface ObservableAmqpServer {
  readonly queue: string;
  readonly inFlightCount: number;
  on(
    event: 'settled',
    listener: (delivery: { action: string; outcome: string; copied: boolean; durationMs: number }) => void,
  ): void;
}

/**
 * Counts and times every delivery `server` settles, by queue and outcome: `ack`, `retry`,
 * `dead-letter`, `duplicate`, or `requeue` (a retry or dead-letter copy that could not be published,
 * so the message is left for redelivery); its in-flight deliveries are a gauge.
 */
export function observeAmqpServer(metrics: Metrics, server: ObservableAmqpServer): void {
  const { consumed, handlingSeconds } = metrics.amqpConsumer;
  const queue = server.queue;
  metrics.trackConsumerInFlight(queue, () => server.inFlightCount);
  const series = new LabelledChildren((outcome: string) => ({
    consumed: consumed.labels({ queue, outcome }),
    handlingSeconds: handlingSeconds.labels({ queue, outcome }),
  }));
  server.on('settled', (delivery) => {
    const outcome =
      delivery.outcome === 'duplicate'
        ? 'duplicate'
        : delivery.action !== 'ack' && !delivery.copied
          ? 'requeue'
          : delivery.action;
    const { consumed, handlingSeconds } = series.get(outcome);
    consumed.inc();
    handlingSeconds.observe(delivery.durationMs / 1000);
  });
}

/**
 * A PublishObserver (for `@hello/messaging`'s ConfirmedPublisher) that counts publishes by exchange and
 * outcome and times their confirms; `inFlight()` is the publisher's unconfirmed count, a gauge.
 */
export function publishMetrics(
  metrics: Metrics,
  publisher: string,
  inFlight: () => number,
): { published(exchange: string, outcome: string, seconds: number): void } {
  const { published, confirmSeconds } = metrics.amqpPublisher;
  metrics.trackPublisherInFlight(publisher, inFlight);
  const series = new LabelledChildren(
    (exchange: string) =>
      new LabelledChildren((outcome: string) => {
        const labels = { exchange: exchange || '(default)', outcome };
        return { published: published.labels(labels), confirmSeconds: confirmSeconds.labels(labels) };
      }),
  );
  return {
    published(exchange, outcome, seconds) {
      const { published, confirmSeconds } = series.get(exchange).get(outcome);
      published.inc();
      confirmSeconds.observe(seconds);
    },
  };
}

/** What the connection metrics need of a connection (`@hello/messaging`'s AmqpConnection has it). */
export interface ObservableAmqpConnection {
  readonly connectionName: string;
  readonly blockedSeconds: number;
  isConnected(): boolean;
}

/**
 * Per connection: whether it is up (`amqp_connection_up`) and how long the broker has blocked it
 * (`amqp_connection_blocked_seconds_total`, e.g. during a memory alarm), read at each scrape.
 */
export function observeAmqpConnection(metrics: Metrics, connection: ObservableAmqpConnection): void {
  metrics.trackConnection(connection.connectionName, connection);
}

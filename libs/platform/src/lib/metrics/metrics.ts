import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Buckets of the latency histograms, in seconds: from 0.5 ms to 10 s. */
export const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** RED metrics of a gRPC server (names as grpc-ecosystem's go-grpc-prometheus has them). */
export interface GrpcServerMetrics {
  readonly started: Counter<'grpc_type' | 'grpc_service' | 'grpc_method'>;
  readonly handled: Counter<'grpc_type' | 'grpc_service' | 'grpc_method' | 'grpc_code'>;
  readonly handlingSeconds: Histogram<'grpc_type' | 'grpc_service' | 'grpc_method' | 'grpc_code'>;
  readonly inFlight: Gauge<'grpc_service' | 'grpc_method'>;
}

/** RED metrics of an HTTP server, by route template (never by raw path: that would be unbounded). */
export interface HttpServerMetrics {
  readonly requests: Counter<'method' | 'route' | 'status_code'>;
  readonly durationSeconds: Histogram<'method' | 'route' | 'status_code'>;
  readonly inFlight: Gauge;
}

/** Deliveries consumed from a queue, by what became of them: ack, retry, dead-letter, duplicate, requeue. */
export interface AmqpConsumerMetrics {
  readonly consumed: Counter<'queue' | 'outcome'>;
  readonly handlingSeconds: Histogram<'queue' | 'outcome'>;
  readonly inFlight: Gauge<'queue'>;
}

/** Messages published with a publisher confirm, by outcome, and how long the confirm took. */
export interface AmqpPublisherMetrics {
  readonly published: Counter<'exchange' | 'outcome'>;
  readonly confirmSeconds: Histogram<'exchange' | 'outcome'>;
  readonly inFlight: Gauge<'publisher'>;
}

/**
 * The Prometheus metrics of one app: a registry of its own with the default process and Node.js
 * metrics, plus, per transport the app uses, its RED metrics (created on first use, so an app exports
 * only the families it has). Served at `GET /metrics` by the MetricsController.
 */
@Injectable()
export class Metrics {
  readonly registry = new Registry();
  private grpcMetrics?: GrpcServerMetrics;
  private httpMetrics?: HttpServerMetrics;
  private consumerMetrics?: AmqpConsumerMetrics;
  private publisherMetrics?: AmqpPublisherMetrics;
  private readonly consumerSources = new Map<string, () => number>();
  private readonly publisherSources = new Map<string, () => number>();
  private readonly connections = new Map<string, { blockedSeconds: number; isConnected(): boolean }>();
  private connectionMetrics = false;

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    dropMisnamedGauges(this.registry);
  }

  /** The text exposition of every metric, and its content type. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  get grpc(): GrpcServerMetrics {
    const labels = ['grpc_type', 'grpc_service', 'grpc_method'] as const;
    return (this.grpcMetrics ??= {
      started: new Counter({
        name: 'grpc_server_started_total',
        help: 'gRPC calls started on the server.',
        labelNames: labels,
        registers: [this.registry],
      }),
      handled: new Counter({
        name: 'grpc_server_handled_total',
        help: 'gRPC calls completed on the server, by status code.',
        labelNames: [...labels, 'grpc_code'],
        registers: [this.registry],
      }),
      handlingSeconds: new Histogram({
        name: 'grpc_server_handling_seconds',
        help: 'Time from the start of a gRPC call to its status, in seconds.',
        labelNames: [...labels, 'grpc_code'],
        buckets: LATENCY_BUCKETS,
        registers: [this.registry],
      }),
      inFlight: new Gauge({
        name: 'grpc_server_in_flight_calls',
        help: 'gRPC calls in progress on the server.',
        labelNames: ['grpc_service', 'grpc_method'],
        registers: [this.registry],
      }),
    });
  }

  get http(): HttpServerMetrics {
    const labels = ['method', 'route', 'status_code'] as const;
    return (this.httpMetrics ??= {
      requests: new Counter({
        name: 'http_requests_total',
        help: 'HTTP requests answered, by route template and status code.',
        labelNames: labels,
        registers: [this.registry],
      }),
      durationSeconds: new Histogram({
        name: 'http_request_duration_seconds',
        help: 'Time from receiving an HTTP request to the end of its response, in seconds.',
        labelNames: labels,
        buckets: LATENCY_BUCKETS,
        registers: [this.registry],
      }),
      inFlight: new Gauge({
        name: 'http_requests_in_flight',
        help: 'HTTP requests being answered.',
        registers: [this.registry],
      }),
    });
  }

  get amqpConsumer(): AmqpConsumerMetrics {
    const sources = this.consumerSources;
    return (this.consumerMetrics ??= {
      consumed: new Counter({
        name: 'amqp_messages_consumed_total',
        help: 'AMQP deliveries settled, by queue and outcome (ack, retry, dead-letter, duplicate, requeue).',
        labelNames: ['queue', 'outcome'],
        registers: [this.registry],
      }),
      handlingSeconds: new Histogram({
        name: 'amqp_message_handling_seconds',
        help: 'Time from an AMQP delivery to its settlement, in seconds.',
        labelNames: ['queue', 'outcome'],
        buckets: LATENCY_BUCKETS,
        registers: [this.registry],
      }),
      inFlight: new Gauge({
        name: 'amqp_messages_in_flight',
        help: 'AMQP deliveries being handled or settled.',
        labelNames: ['queue'],
        registers: [this.registry],
        collect() {
          for (const [queue, count] of sources) this.set({ queue }, count());
        },
      }),
    });
  }

  get amqpPublisher(): AmqpPublisherMetrics {
    const sources = this.publisherSources;
    return (this.publisherMetrics ??= {
      published: new Counter({
        name: 'amqp_messages_published_total',
        help: 'AMQP messages published, by exchange and outcome (confirmed by the broker, or failed).',
        labelNames: ['exchange', 'outcome'],
        registers: [this.registry],
      }),
      confirmSeconds: new Histogram({
        name: 'amqp_publish_confirm_seconds',
        help: 'Time from publishing an AMQP message to its confirm (or failure), in seconds.',
        labelNames: ['exchange', 'outcome'],
        buckets: LATENCY_BUCKETS,
        registers: [this.registry],
      }),
      inFlight: new Gauge({
        name: 'amqp_publishes_in_flight',
        help: 'AMQP publishes waiting for their confirm.',
        labelNames: ['publisher'],
        registers: [this.registry],
        collect() {
          for (const [publisher, count] of sources) this.set({ publisher }, count());
        },
      }),
    });
  }

  /**
   * A gauge of the app's own (`greeter_events_pending`), set from `read()` at each scrape; for a
   * constant (a configured limit), `read` returns it.
   */
  gaugeFrom(name: string, help: string, read: () => number | Promise<number>): void {
    new Gauge({
      name,
      help,
      registers: [this.registry],
      async collect() {
        this.set(await read());
      },
    });
  }

  /** As gaugeFrom, one series per value of `label`: `read()` gives the value of each. */
  labelledGaugeFrom(
    name: string,
    help: string,
    label: string,
    read: () => Readonly<Record<string, number>> | Promise<Readonly<Record<string, number>>>,
  ): void {
    new Gauge({
      name,
      help,
      labelNames: [label],
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const [value, current] of Object.entries(await read())) this.set({ [label]: value }, current);
      },
    });
  }

  /** A counter of the app's own whose total something else keeps (a transport's stats), read at each scrape. */
  counterFrom(name: string, help: string, read: () => number): void {
    new Counter({
      name,
      help,
      registers: [this.registry],
      collect() {
        this.reset();
        this.inc(read());
      },
    });
  }

  /** As counterFrom, one series per value of `label`: `read()` gives the total of each. */
  labelledCounterFrom(name: string, help: string, label: string, read: () => Readonly<Record<string, number>>): void {
    new Counter({
      name,
      help,
      labelNames: [label],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [value, total] of Object.entries(read())) this.inc({ [label]: value }, total);
      },
    });
  }

  /** A counter of the app's own that the app increments: the same one for the same name. */
  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    const existing = this.registry.getSingleMetric(name);
    if (existing) return existing as Counter;
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }

  /** Reports a connection's state and blocked time at each scrape (see observeAmqpConnection). */
  trackConnection(name: string, connection: { blockedSeconds: number; isConnected(): boolean }): void {
    this.connections.set(name, connection);
    if (this.connectionMetrics) return;
    this.connectionMetrics = true;
    const connections = this.connections;
    new Gauge({
      name: 'amqp_connection_up',
      help: 'Whether the AMQP connection is open (1) or not (0).',
      labelNames: ['connection'],
      registers: [this.registry],
      collect() {
        for (const [name, c] of connections) this.set({ connection: name }, c.isConnected() ? 1 : 0);
      },
    });
    new Counter({
      name: 'amqp_connection_blocked_seconds_total',
      help: 'Time the broker has blocked publishing on the AMQP connection (resource alarms), in seconds.',
      labelNames: ['connection'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [name, c] of connections) this.inc({ connection: name }, c.blockedSeconds);
      },
    });
  }

  /** Reports `count()` as the in-flight deliveries of `queue` at each scrape. */
  trackConsumerInFlight(queue: string, count: () => number): void {
    this.consumerSources.set(queue, count);
    void this.amqpConsumer;
  }

  /** Reports `count()` as the unconfirmed publishes of `publisher` at each scrape. */
  trackPublisherInFlight(publisher: string, count: () => number): void {
    this.publisherSources.set(publisher, count);
    void this.amqpPublisher;
  }
}

/**
 * prom-client's `nodejs_active_handles_total`, `_requests_total` and `_resources_total` are gauges whose
 * names end in `_total`, which Prometheus reserves for counters (`promtool check metrics` rejects them).
 * They are left out: they are the sums of `nodejs_active_handles`, `_requests` and `_resources`, which
 * prom-client exports too, by type (`sum(nodejs_active_handles)` gives the same figure).
 */
function dropMisnamedGauges(registry: Registry): void {
  for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) {
    registry.removeSingleMetric(name);
  }
}

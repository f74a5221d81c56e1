import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { HELLO_MESSAGE_TYPE, Topology } from '@hello/contracts';
import { AmqpConnection, AmqpServer, ConfirmedPublisher, eventLogTopology } from '@hello/messaging';
import { Metrics, observeAmqpConnection, observeAmqpServer, publishMetrics } from '@hello/platform';
import { CONSUMER_CONFIG, ConsumerConfig } from '../config/consumer.config';

/** The AmqpServer that consumes `hello`; startConsumerApp connects it as the app's microservice. */
export function createHelloServer(config: ConsumerConfig, metrics: Metrics): AmqpServer {
  const server = new AmqpServer({
    url: config.rabbitmqUrl,
    tls: config.rabbitmqTls,
    connectionName: 'consumer',
    queue: Topology.helloQueue,
    prefetch: config.prefetch,
    retry: config.retry,
    // RabbitMQ's tutorial publishes a bare text body: no type, no content type.
    defaultPattern: HELLO_MESSAGE_TYPE,
    deduplicationCapacity: config.deduplicationCapacity,
    drainTimeoutMs: config.drainTimeoutMs,
  });
  observeAmqpServer(metrics, server);
  return server;
}

/**
 * The consumer's publishing side: its own connection (a publisher blocked by flow control must not
 * hold up consumption) and a confirmed publisher for the integration events it emits.
 * Closed last, at application shutdown, after the server has drained in-flight messages.
 */
@Injectable()
export class ConsumerBroker implements OnApplicationShutdown {
  readonly connection: AmqpConnection;
  readonly publisher: ConfirmedPublisher;

  constructor(@Inject(CONSUMER_CONFIG) config: ConsumerConfig, metrics: Metrics) {
    this.connection = new AmqpConnection({
      url: config.rabbitmqUrl,
      tls: config.rabbitmqTls,
      connectionName: 'consumer.publisher',
    });
    this.publisher = new ConfirmedPublisher({
      connection: this.connection,
      appId: 'consumer',
      // The exchange and the event log every event is kept in.
      topology: eventLogTopology(config.eventLog),
      observer: publishMetrics(metrics, 'consumer', () => this.publisher.inFlightCount),
    });
    observeAmqpConnection(metrics, this.connection);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.publisher.close();
    await this.connection.close();
  }
}

import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { Topology } from '@hello/contracts';
import {
  AmqpClient,
  AmqpConnection,
  AmqpRpcClient,
  assertTopology,
  BrokerUnreachableError,
  ConfirmedPublisher,
  mergeTopologies,
  workQueueTopology,
} from '@hello/messaging';
import { Metrics, observeAmqpConnection, publishMetrics } from '@hello/platform';
import { PRODUCER_CONFIG, ProducerConfig } from '../config/producer.config';

/** What the producer declares: the `hello` work queue, the greeter's `hello.rpc` request queue, their dead-letter queues. */
export const PRODUCER_TOPOLOGY = mergeTopologies(
  workQueueTopology(Topology.helloQueue),
  workQueueTopology(Topology.helloRpcQueue),
);

/** Injection token of the AmqpClient that publishes to the `hello` queue. */
export const HELLO_QUEUE_CLIENT = Symbol('HELLO_QUEUE_CLIENT');

/** Injection token of the AmqpRpcClient that calls the greeter over `hello.rpc`. */
export const GREETER_RPC_CLIENT = Symbol('GREETER_RPC_CLIENT');

/**
 * The producer's connection to RabbitMQ. At start-up it waits briefly for the broker and, when it is
 * there, asserts the topology on a dedicated channel, so that a `hello` queue declared with other
 * arguments stops start-up with an error naming the argument. A broker that is down does not stop
 * start-up: the producer answers 503 until it is back (and declares the topology on connect).
 */
@Injectable()
export class ProducerBroker implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(ProducerBroker.name);
  readonly connection: AmqpConnection;
  readonly publisher: ConfirmedPublisher;
  readonly client: AmqpClient;
  /** Calls SayHello over AMQP request/reply; `lateReplies` and `isReady()` are for metrics and health. */
  readonly greeterRpc: AmqpRpcClient;

  constructor(
    @Inject(PRODUCER_CONFIG) private readonly config: ProducerConfig,
    metrics: Metrics,
  ) {
    this.connection = new AmqpConnection({
      url: config.rabbitmqUrl,
      tls: config.rabbitmqTls,
      connectionName: 'producer',
    });
    this.publisher = new ConfirmedPublisher({
      connection: this.connection,
      appId: 'producer',
      timeoutMs: config.publishTimeoutMs,
      topology: PRODUCER_TOPOLOGY,
      observer: publishMetrics(metrics, 'producer', () => this.publisher.inFlightCount),
      // A request gets its 503 at once while the broker is known to be down, not after the timeout.
      failFastWhenUnreachable: true,
    });
    this.client = new AmqpClient({
      publisher: this.publisher,
      exchange: '',
      routingKey: Topology.helloQueue,
      mandatory: true,
    });
    this.greeterRpc = new AmqpRpcClient({
      connection: this.connection,
      queue: Topology.helloRpcQueue,
      appId: 'producer',
      timeoutMs: config.rpcTimeoutMs,
      topology: workQueueTopology(Topology.helloRpcQueue),
    });
    observeAmqpConnection(metrics, this.connection);
  }

  async onModuleInit(): Promise<void> {
    try {
      await this.connection.connect(this.config.publishTimeoutMs);
    } catch (error) {
      if (!(error instanceof BrokerUnreachableError)) throw error;
      this.logger.warn(
        `${error.message}; starting anyway, POST /messages and /greetings answer 503 until it is reachable`,
      );
      return;
    }
    await assertTopology(this.connection, PRODUCER_TOPOLOGY);
  }

  isConnected(): boolean {
    return this.connection.isConnected();
  }

  /** The reason while the broker blocks publishing (resource alarm), else undefined. */
  get blocked(): string | undefined {
    return this.connection.blocked;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.client.close();
    await this.greeterRpc.close();
    await this.connection.close();
  }
}

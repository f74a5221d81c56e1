import {
  GreetingGreetedIntegrationEvent,
  LineReceivedIntegrationEvent,
  MessageHandledIntegrationEvent,
  Topology,
} from '@hello/contracts';
import {
  AmqpConnection,
  AmqpServer,
  assertTopology,
  ConfirmedPublisher,
  eventLogTopology,
  type EventLogRetention,
  mergeTopologies,
  type TopologySpec,
  type OutgoingMessage,
  workQueueTopology,
} from '@hello/messaging';
import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { Metrics, observeAmqpConnection, observeAmqpServer, publishMetrics } from '@hello/platform';
import { EVENT_HANDLER_CONFIG, type EventHandlerConfig } from '../config/event-handler.config';
import type { MessagePublisher } from './message-publisher';

/**
 * What the event-handler publishes to: the integration events exchange with its event log (line
 * events) and the `hello` work queue (welcome messages), declared with the same arguments as the
 * other apps declare them.
 */
export function publishTopology(eventLog?: EventLogRetention): TopologySpec {
  return mergeTopologies(eventLogTopology(eventLog), workQueueTopology(Topology.helloQueue));
}

/** The routing keys the event-handler's queue is bound to on `hello.events`. */
export const CONSUMED_ROUTING_KEYS = [
  GreetingGreetedIntegrationEvent.routingKey,
  MessageHandledIntegrationEvent.routingKey,
  LineReceivedIntegrationEvent.routingKey,
] as const;

/** The transport that consumes `event-handler.events` (also a provider, see app.module.ts). */
export function createAmqpServer(config: EventHandlerConfig, metrics: Metrics): AmqpServer {
  const server = new AmqpServer({
    url: config.rabbitmqUrl,
    tls: config.rabbitmqTls,
    connectionName: 'event-handler.consumer',
    queue: Topology.eventHandlerQueue,
    prefetch: config.prefetch,
    retry: config.retry,
    bindings: [{ exchange: Topology.eventsExchange, type: 'topic', routingKeys: CONSUMED_ROUTING_KEYS }],
    drainTimeoutMs: config.shutdownGraceMs,
  });
  observeAmqpServer(metrics, server);
  return server;
}

/**
 * The publishing side: its own connection (a connection the broker blocks for publishing too
 * fast must not hold up the consumer's acks) and a confirmed publisher.
 */
@Injectable()
export class EventHandlerBroker implements MessagePublisher, OnModuleInit, OnApplicationShutdown {
  readonly connection: AmqpConnection;
  readonly publisher: ConfirmedPublisher;
  private readonly topology: TopologySpec;

  constructor(
    @Inject(EVENT_HANDLER_CONFIG) private readonly config: EventHandlerConfig,
    metrics: Metrics,
  ) {
    this.connection = new AmqpConnection({
      url: config.rabbitmqUrl,
      tls: config.rabbitmqTls,
      connectionName: 'event-handler.publisher',
    });
    this.topology = publishTopology(config.eventLog);
    this.publisher = new ConfirmedPublisher({
      connection: this.connection,
      appId: 'event-handler',
      timeoutMs: config.publishTimeoutMs,
      topology: this.topology,
      observer: publishMetrics(metrics, 'event-handler', () => this.publisher.inFlightCount),
    });
    observeAmqpConnection(metrics, this.connection);
  }

  /**
   * Waits for the broker (as long as the consumer would) and checks the declarations on a
   * dedicated channel, so a `hello` queue declared with other arguments stops start-up with an
   * error naming the argument.
   */
  async onModuleInit(): Promise<void> {
    await this.connection.connect(30_000);
    await assertTopology(this.connection, this.topology);
  }

  publish(message: OutgoingMessage): Promise<void> {
    return this.publisher.publish(message);
  }

  isConnected(): boolean {
    return this.connection.isConnected();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.publisher.close().catch(() => undefined);
    await this.connection.close();
  }
}

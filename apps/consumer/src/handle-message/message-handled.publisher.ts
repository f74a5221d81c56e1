import { Injectable } from '@nestjs/common';
import {
  Headers,
  MessageHandledIntegrationEvent,
  Topology,
} from '@hello/contracts';
import { childTraceparent } from '@hello/messaging';
import { ConsumerBroker } from '../messaging/consumer-broker';

/**
 * Publishes the effect of handling a message: a `message.handled` integration event on `hello.events`
 * whose AMQP messageId is the event id (derived from the message id), confirmed by the broker.
 */
@Injectable()
export class MessageHandledPublisher {
  constructor(private readonly broker: ConsumerBroker) {}

  async publish(
    event: MessageHandledIntegrationEvent,
    traceparent?: string,
  ): Promise<void> {
    await this.broker.publisher.publish({
      exchange: Topology.eventsExchange,
      routingKey: MessageHandledIntegrationEvent.routingKey,
      body: event.toJSON(),
      messageId: event.eventId,
      type: MessageHandledIntegrationEvent.type,
      correlationId: event.messageId,
      headers: { [Headers.traceparent]: childTraceparent(traceparent) },
    });
  }
}

import { Injectable } from '@nestjs/common';
import { integrationEventMessage, MessageHandledIntegrationEvent } from '@hello/contracts';
import { ConsumerBroker } from '../messaging/consumer-broker';

/**
 * Publishes the effect of handling a message: a `message.handled` integration event on `hello.events`
 * whose AMQP messageId is the event id (derived from the message id), confirmed by the broker.
 */
@Injectable()
export class MessageHandledPublisher {
  constructor(private readonly broker: ConsumerBroker) {}

  /** Publishes in the active trace: the span of the delivery being handled. */
  async publish(event: MessageHandledIntegrationEvent): Promise<void> {
    await this.broker.publisher.publish({ ...integrationEventMessage(event), correlationId: event.messageId });
  }
}

import { EventsHandler, type IEventHandler } from '@nestjs/cqrs';
import { GreetingGreetedIntegrationEvent, integrationEventMessage } from '@hello/contracts';
import { context } from '@opentelemetry/api';
import { GreeterBroker } from '../messaging/greeter-broker';
import { GreetedEvent } from '../say-hello/greeted.event';

/**
 * Bridges the in-process GreetedEvent to the broker as a `greeting.greeted` integration event. It
 * only hands the event to the buffer, which publishes it later: the gRPC call that made the greeting
 * neither waits for the broker nor fails because of it.
 */
@EventsHandler(GreetedEvent)
export class PublishGreetingWhenGreetedHandler implements IEventHandler<GreetedEvent> {
  constructor(private readonly broker: GreeterBroker) {}

  handle(event: GreetedEvent): void {
    const integrationEvent = GreetingGreetedIntegrationEvent.create({
      name: event.name,
      message: event.message,
      greetedAt: event.greetedAt,
      eventId: event.eventId,
    });
    this.broker.events.enqueue({
      ...integrationEventMessage(integrationEvent),
      // Published later, from the buffer: the publish span's parent is the call's span, kept here.
      traceContext: context.active(),
    });
  }
}

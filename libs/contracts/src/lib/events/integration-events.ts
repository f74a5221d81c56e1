import type { ZodType } from 'zod';
import { Topology } from '../messaging/topology';
import { GreetingGreetedIntegrationEvent } from './greeting-greeted.event';
import { LineReceivedIntegrationEvent } from './line-received.event';
import { MessageHandledIntegrationEvent } from './message-handled.event';

/** Any of the integration events hello-mesh publishes to `Topology.eventsExchange`. */
export type IntegrationEvent =
  GreetingGreetedIntegrationEvent | MessageHandledIntegrationEvent | LineReceivedIntegrationEvent;

/** What every integration event class offers besides its constructor. */
export interface IntegrationEventClass<E extends IntegrationEvent = IntegrationEvent> {
  readonly routingKey: string;
  readonly version: number;
  /** AMQP `type`: routing key + version, e.g. `greeting.greeted.v1`. */
  readonly type: string;
  /** The zod schema of its body: the one definition of the event. */
  readonly schema: ZodType;
  parse(value: unknown): E;
}

/** Every integration event class by AMQP `type`. */
export const IntegrationEventTypes: Readonly<Record<string, IntegrationEventClass>> = Object.freeze({
  [GreetingGreetedIntegrationEvent.type]: GreetingGreetedIntegrationEvent,
  [MessageHandledIntegrationEvent.type]: MessageHandledIntegrationEvent,
  [LineReceivedIntegrationEvent.type]: LineReceivedIntegrationEvent,
});

/** The class of an event instance. */
export function integrationEventClassOf(event: IntegrationEvent): IntegrationEventClass {
  return event.constructor as unknown as IntegrationEventClass;
}

/**
 * Where and how an integration event goes on the wire: the topic exchange, its routing key, the
 * AMQP `type`, and the event id as AMQP `messageId`. Structurally a `@hello/messaging`
 * OutgoingMessage, so `publisher.publish(integrationEventMessage(event))` sends it.
 */
export function integrationEventMessage(event: IntegrationEvent): {
  exchange: string;
  routingKey: string;
  type: string;
  messageId: string;
  body: object;
} {
  const eventClass = integrationEventClassOf(event);
  return {
    exchange: Topology.eventsExchange,
    routingKey: eventClass.routingKey,
    type: eventClass.type,
    messageId: event.eventId,
    body: event.toJSON(),
  };
}

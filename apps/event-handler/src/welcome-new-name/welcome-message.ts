import { deriveId, type GreetingGreetedIntegrationEvent, HELLO_MESSAGE_TYPE, Topology } from '@hello/contracts';
import type { OutboxMessage } from '../outbox/outbox-store';

/**
 * The welcome message for the first greeting of a name: a hello message on the `hello` queue.
 * Its id is derived from the greeting's event id, so every re-send (outbox retry, a restart
 * before the send was recorded) carries the same id and the consumer handles it once.
 */
export function welcomeMessageFor(greeting: GreetingGreetedIntegrationEvent): OutboxMessage {
  return {
    messageId: deriveId('welcome', greeting.eventId),
    exchange: '',
    routingKey: Topology.helloQueue,
    type: HELLO_MESSAGE_TYPE,
    body: { text: `Welcome, ${greeting.name}!` },
    causeEventId: greeting.eventId,
  };
}

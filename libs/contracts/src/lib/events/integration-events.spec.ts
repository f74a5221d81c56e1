import { ContractViolation } from '../contract-violation';
import { Topology } from '../messaging/topology';
import { GreetingGreetedIntegrationEvent } from './greeting-greeted.event';
import {
  IntegrationEventTypes,
  integrationEventMessage,
  parseIntegrationEvent,
} from './integration-events';
import { LineReceivedIntegrationEvent } from './line-received.event';
import { MessageHandledIntegrationEvent } from './message-handled.event';

describe('integration event registry', () => {
  it('should map each AMQP type to its class, type = routing key + version', () => {
    expect(Object.keys(IntegrationEventTypes).sort()).toEqual([
      'greeting.greeted.v1',
      'line.received.v1',
      'message.handled.v1',
    ]);
    for (const [type, eventClass] of Object.entries(IntegrationEventTypes)) {
      expect(type).toBe(`${eventClass.routingKey}.v${eventClass.version}`);
      expect(eventClass.type).toBe(type);
    }
  });

  it('should decode a body by its type', () => {
    const event = MessageHandledIntegrationEvent.create({ messageId: 'm', text: 'hi' });
    const decoded = parseIntegrationEvent('message.handled.v1', JSON.parse(JSON.stringify(event)));
    expect(decoded).toBeInstanceOf(MessageHandledIntegrationEvent);
    expect(decoded).toEqual(event);
  });

  it.each([['greeting.greeted.v2'], ['toString'], ['__proto__'], [undefined]])(
    'should reject the type %s with unknown-type',
    (type) => {
      expect(() => parseIntegrationEvent(type, {})).toThrow(
        expect.objectContaining({ code: 'unknown-type' }),
      );
      expect(() => parseIntegrationEvent(type, {})).toThrow(ContractViolation);
    },
  );

  it('should describe the AMQP message of an event', () => {
    const greeted = GreetingGreetedIntegrationEvent.create({ name: 'a', message: 'Hello, a!' });
    expect(integrationEventMessage(greeted)).toEqual({
      exchange: Topology.eventsExchange,
      routingKey: 'greeting.greeted',
      type: 'greeting.greeted.v1',
      messageId: greeted.eventId,
      body: greeted.toJSON(),
    });
    const line = LineReceivedIntegrationEvent.create({ line: 'x', remoteAddress: '[::1]:4000' });
    expect(integrationEventMessage(line)).toMatchObject({
      routingKey: 'line.received',
      type: 'line.received.v1',
    });
  });
});

import { Topology } from '../messaging/topology';
import { GreetingGreetedIntegrationEvent } from './greeting-greeted.event';
import { IntegrationEventTypes, integrationEventMessage } from './integration-events';
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

  it('should decode a body with the parse of its type (the decoder consumers register)', () => {
    const event = MessageHandledIntegrationEvent.create({ messageId: 'm', text: 'hi' });
    const decoded = IntegrationEventTypes['message.handled.v1'].parse(JSON.parse(JSON.stringify(event)));
    expect(decoded).toBeInstanceOf(MessageHandledIntegrationEvent);
    expect(decoded).toEqual(event);
  });

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

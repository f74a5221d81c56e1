import { ContractViolation } from '../contract-violation';
import { MAX_MESSAGE_TEXT_BYTES } from '../messaging/hello-message';
import { MessageHandledIntegrationEvent } from './message-handled.event';

describe('MessageHandledIntegrationEvent', () => {
  it('should name its routing key, version and AMQP type', () => {
    expect(MessageHandledIntegrationEvent.routingKey).toBe('message.handled');
    expect(MessageHandledIntegrationEvent.version).toBe(1);
    expect(MessageHandledIntegrationEvent.type).toBe('message.handled.v1');
  });

  it('should derive the event id from the message id, so a duplicate carries the same id', () => {
    const first = MessageHandledIntegrationEvent.create({ messageId: 'm-1', text: 'Hello World!' });
    const again = MessageHandledIntegrationEvent.create({
      messageId: 'm-1',
      text: 'Hello World!',
      handledAt: new Date(Date.now() + 60_000),
    });
    const other = MessageHandledIntegrationEvent.create({ messageId: 'm-2', text: 'Hello World!' });
    expect(again.eventId).toBe(first.eventId);
    expect(other.eventId).not.toBe(first.eventId);
    expect(first.eventId).toBe(MessageHandledIntegrationEvent.eventIdFor('m-1'));
  });

  it('should round-trip through JSON', () => {
    const event = MessageHandledIntegrationEvent.create({
      messageId: '7d444840-9dc0-11d1-b245-5ffdce74fad2',
      text: 'Hello World!',
      handledAt: '2024-01-31T12:00:00.000Z',
    });
    const parsed = MessageHandledIntegrationEvent.parse(JSON.parse(JSON.stringify(event)));
    expect(parsed).toEqual(event);
  });

  it.each([
    [{ messageId: '' }, 'messageId'],
    [{ messageId: 7 }, 'messageId'],
    [{ text: '' }, 'text'],
    [{ text: 'x'.repeat(MAX_MESSAGE_TEXT_BYTES + 1) }, 'text'],
    [{ handledAt: '' }, 'handledAt'],
    [{ eventId: 'm-1' }, 'eventId'],
  ])('should reject a body with %j naming field %s', (override, field) => {
    const body = {
      ...MessageHandledIntegrationEvent.create({ messageId: 'm-1', text: 'hi' }).toJSON(),
      ...override,
    };
    expect(() => MessageHandledIntegrationEvent.parse(body)).toThrow(ContractViolation);
    expect(() => MessageHandledIntegrationEvent.parse(body)).toThrow(
      expect.objectContaining({ code: 'invalid-event', field }),
    );
  });
});

import { ContractViolation, deriveId } from '@hello/contracts';
import type { EventBus } from '@nestjs/cqrs';
import { EventsUnavailableError } from '../messaging/events-unavailable.error';
import type { GreeterBroker } from '../messaging/greeter-broker';
import type { Clock } from '../shared/clock';
import { GreetedEvent } from './greeted.event';
import { SayHelloCommand } from './say-hello.command';
import { SayHelloHandler } from './say-hello.handler';

describe('SayHelloHandler', () => {
  const greetedAt = new Date('2026-01-02T03:04:05.000Z');
  let publish: jest.Mock;
  let handler: SayHelloHandler;
  let admitting: { admitEvent: jest.Mock };

  beforeEach(() => {
    publish = jest.fn();
    admitting = { admitEvent: jest.fn() };
    handler = new SayHelloHandler(
      { publish } as unknown as EventBus,
      { now: () => greetedAt } as Clock,
      admitting as unknown as GreeterBroker,
    );
  });

  it('should reply with the greeting for the name', async () => {
    await expect(handler.execute(new SayHelloCommand('world'))).resolves.toEqual({ message: 'Hello, world!' });
  });

  it('should publish one GreetedEvent with the name, message and time', async () => {
    await handler.execute(new SayHelloCommand('Ada'));
    expect(publish).toHaveBeenCalledTimes(1);
    const event = publish.mock.calls[0][0];
    expect(event).toBeInstanceOf(GreetedEvent);
    expect(event).toEqual(new GreetedEvent('Ada', 'Hello, Ada!', greetedAt));
  });

  it('should reject a name that breaks the contract and publish nothing', async () => {
    const outcome = handler.execute(new SayHelloCommand('a'.repeat(257)));
    await expect(outcome).rejects.toBeInstanceOf(ContractViolation);
    await expect(outcome).rejects.toMatchObject({
      code: 'invalid-message',
      message: 'name: must be at most 256 characters',
    });
    expect(publish).not.toHaveBeenCalled();
  });

  it('should refuse the greeting, publishing nothing, when its event cannot be kept', async () => {
    admitting.admitEvent.mockImplementation(() => {
      throw new EventsUnavailableError(10, false);
    });
    await expect(handler.execute(new SayHelloCommand('Ada'))).rejects.toMatchObject({ code: 'events-unavailable' });
    expect(publish).not.toHaveBeenCalled();
  });

  it('should derive the event id from the request id when the transport gives one, and only then', async () => {
    await handler.execute(new SayHelloCommand('Ada', 'request-1'));
    await handler.execute(new SayHelloCommand('Ada', 'request-1'));
    await handler.execute(new SayHelloCommand('Ada'));
    const ids = publish.mock.calls.map(([event]) => (event as GreetedEvent).eventId);
    expect(ids).toEqual([
      deriveId('greeting.greeted.v1', 'request-1'),
      deriveId('greeting.greeted.v1', 'request-1'),
      undefined,
    ]);
  });
});

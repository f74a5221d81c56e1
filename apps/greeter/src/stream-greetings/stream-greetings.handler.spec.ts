import { ContractViolation } from '@hello/contracts';
import type { EventBus } from '@nestjs/cqrs';
import { GreetedEvent } from '../say-hello/greeted.event';
import { EventsUnavailableError } from '../messaging/events-unavailable.error';
import type { GreeterBroker } from '../messaging/greeter-broker';
import type { Clock } from '../shared/clock';
import { StreamGreetingsCommand } from './stream-greetings.command';
import { STREAM_GREETING_COUNT, STREAM_GREETING_INTERVAL_MS, StreamGreetingsHandler } from './stream-greetings.handler';

describe('StreamGreetingsHandler', () => {
  let publish: jest.Mock;
  let handler: StreamGreetingsHandler;
  let admitting: { admitEvent: jest.Mock };

  beforeEach(() => {
    admitting = { admitEvent: jest.fn() };
    jest.useFakeTimers({ now: new Date('2026-01-02T03:04:05.000Z') });
    publish = jest.fn();
    handler = new StreamGreetingsHandler(
      { publish } as unknown as EventBus,
      { now: () => new Date() } as Clock,
      admitting as unknown as GreeterBroker,
    );
  });

  afterEach(() => jest.useRealTimers());

  it('should send every numbered greeting, one per interval, then complete', async () => {
    const replies: string[] = [];
    let completed = false;
    (await handler.execute(new StreamGreetingsCommand('Ada'))).subscribe({
      next: (reply) => replies.push(reply.message),
      complete: () => (completed = true),
    });
    jest.advanceTimersByTime(0);
    expect(replies).toEqual(['Hello, Ada! (1/5)']);
    jest.advanceTimersByTime(STREAM_GREETING_INTERVAL_MS * (STREAM_GREETING_COUNT - 1));
    expect(replies).toEqual([1, 2, 3, 4, 5].map((n) => `Hello, Ada! (${n}/5)`));
    expect(completed).toBe(true);
  });

  it('should publish a GreetedEvent for each greeting sent, when it is sent', async () => {
    (await handler.execute(new StreamGreetingsCommand('Ada'))).subscribe();
    jest.advanceTimersByTime(STREAM_GREETING_INTERVAL_MS);
    expect(publish.mock.calls.map(([event]) => event)).toEqual([
      new GreetedEvent('Ada', 'Hello, Ada! (1/5)', new Date('2026-01-02T03:04:05.000Z')),
      new GreetedEvent('Ada', 'Hello, Ada! (2/5)', new Date('2026-01-02T03:04:05.200Z')),
    ]);
  });

  it('should greet nobody until the stream is subscribed', async () => {
    await handler.execute(new StreamGreetingsCommand('Ada'));
    jest.advanceTimersByTime(STREAM_GREETING_INTERVAL_MS * STREAM_GREETING_COUNT);
    expect(publish).not.toHaveBeenCalled();
  });

  it('should stop greeting once the subscriber goes away', async () => {
    const subscription = (await handler.execute(new StreamGreetingsCommand('Ada'))).subscribe();
    jest.advanceTimersByTime(STREAM_GREETING_INTERVAL_MS);
    subscription.unsubscribe();
    jest.advanceTimersByTime(STREAM_GREETING_INTERVAL_MS * STREAM_GREETING_COUNT);
    expect(publish).toHaveBeenCalledTimes(2);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('should reject a bad name before any stream exists', async () => {
    await expect(handler.execute(new StreamGreetingsCommand(''))).rejects.toBeInstanceOf(ContractViolation);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('should end the stream with the error, after the greetings sent, once an event cannot be kept', async () => {
    let admitted = 0;
    admitting.admitEvent.mockImplementation(() => {
      if (++admitted > 2) throw new EventsUnavailableError(10, false);
    });
    const replies: string[] = [];
    let failure: unknown;
    (await handler.execute(new StreamGreetingsCommand('Ada'))).subscribe({
      next: (reply) => replies.push(reply.message),
      error: (error: unknown) => (failure = error),
    });
    await jest.advanceTimersByTimeAsync(STREAM_GREETING_INTERVAL_MS * STREAM_GREETING_COUNT);
    expect(replies).toEqual(['Hello, Ada! (1/5)', 'Hello, Ada! (2/5)']);
    expect(publish).toHaveBeenCalledTimes(2);
    expect(failure).toBeInstanceOf(EventsUnavailableError);
  });
});

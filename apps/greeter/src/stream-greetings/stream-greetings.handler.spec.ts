import { ContractViolation } from '@hello/contracts';
import type { EventBus } from '@nestjs/cqrs';
import { GreetedEvent } from '../say-hello/greeted.event';
import type { Clock } from '../shared/clock';
import { StreamGreetingsCommand } from './stream-greetings.command';
import {
  STREAM_GREETING_COUNT,
  STREAM_GREETING_INTERVAL_MS,
  StreamGreetingsHandler,
} from './stream-greetings.handler';

describe('StreamGreetingsHandler', () => {
  let publish: jest.Mock;
  let handler: StreamGreetingsHandler;

  beforeEach(() => {
    jest.useFakeTimers({ now: new Date('2026-01-02T03:04:05.000Z') });
    publish = jest.fn();
    handler = new StreamGreetingsHandler({ publish } as unknown as EventBus, { now: () => new Date() } as Clock);
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
});

import { Logger } from '@nestjs/common';
import type { OutgoingMessage } from '@hello/messaging';
import { BufferedEventPublisher, type BufferedEventPublisherOptions } from './buffered-event-publisher';

/** A publish whose confirms the test gives (or refuses) one by one. */
class ScriptedBroker {
  connected = true;
  readonly attempts: { message: OutgoingMessage; confirm(): void; fail(error?: Error): void }[] = [];
  readonly publish = jest.fn(
    (message: OutgoingMessage) =>
      new Promise<void>((resolve, reject) => {
        this.attempts.push({ message, confirm: resolve, fail: (error = new Error('channel closed')) => reject(error) });
      }),
  );

  idsAttempted(): string[] {
    return this.attempts.map((attempt) => attempt.message.messageId);
  }

  confirmAll(): void {
    this.attempts.splice(0).forEach((attempt) => attempt.confirm());
  }

  failAll(error?: Error): void {
    this.attempts.splice(0).forEach((attempt) => attempt.fail(error));
  }
}

function message(id: string): OutgoingMessage {
  return {
    exchange: 'hello.events',
    routingKey: 'greeting.greeted',
    type: 'greeting.greeted.v1',
    messageId: id,
    body: { id },
  };
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('BufferedEventPublisher', () => {
  let broker: ScriptedBroker;
  let errors: jest.SpyInstance;
  let warnings: jest.SpyInstance;
  let publisher: BufferedEventPublisher | undefined;

  const create = (options: Partial<BufferedEventPublisherOptions> = {}) =>
    (publisher = new BufferedEventPublisher({
      publish: broker.publish,
      isConnected: () => broker.connected,
      capacity: 100,
      ...options,
    }));

  beforeEach(() => {
    broker = new ScriptedBroker();
    errors = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    warnings = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'debug').mockImplementation(() => undefined);
  });

  afterEach(() => {
    publisher?.close();
    publisher = undefined;
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  it('should return at once and publish on a later turn, every stored event without awaiting confirms', async () => {
    const events = create();
    expect(events.enqueue(message('a'))).toBe(true);
    events.enqueue(message('b'));
    events.enqueue(message('c'));
    expect(broker.publish).not.toHaveBeenCalled();
    await nextTurn();
    expect(broker.idsAttempted()).toEqual(['a', 'b', 'c']);
    expect(events.stats()).toEqual({ published: 0, retried: 0, dropped: 0, queued: 0, unconfirmed: 3 });
  });

  it('should count an event as published only once the broker has confirmed it', async () => {
    const events = create();
    events.enqueue(message('a'));
    await nextTurn();
    expect(events.pending).toBe(1);
    broker.confirmAll();
    await nextTurn();
    expect(events.pending).toBe(0);
    expect(events.stats().published).toBe(1);
  });

  it('should keep at most maxUnconfirmed events with the broker and send more as confirms arrive', async () => {
    const events = create({ maxUnconfirmed: 2 });
    ['a', 'b', 'c', 'd', 'e'].forEach((id) => events.enqueue(message(id)));
    await nextTurn();
    expect(broker.idsAttempted()).toEqual(['a', 'b']);
    broker.confirmAll();
    await nextTurn();
    await nextTurn();
    expect(broker.idsAttempted()).toEqual(['c', 'd']);
    expect(events.stats()).toMatchObject({ published: 2, queued: 1, unconfirmed: 2 });
  });

  it('should put a failed event back, count the retry, warn, and publish it again after a pause', async () => {
    const events = create({ retryDelayMs: 20 });
    events.enqueue(message('a'));
    await nextTurn();
    broker.failAll(new Error('message nacked'));
    await nextTurn();
    expect(events.stats()).toMatchObject({ retried: 1, queued: 1, unconfirmed: 0 });
    expect(warnings).toHaveBeenCalledWith(expect.stringContaining('publishing failed (message nacked)'));
    expect(broker.attempts).toHaveLength(0);
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(broker.idsAttempted()).toEqual(['a']);
    broker.confirmAll();
    await nextTurn();
    expect(events.stats()).toMatchObject({ published: 1, retried: 1, dropped: 0, queued: 0, unconfirmed: 0 });
  });

  it('should double the pause for each failure in a row, up to the maximum, and reset it after a success', async () => {
    jest.useFakeTimers();
    const events = create({ retryDelayMs: 100, maxRetryDelayMs: 300 });
    events.enqueue(message('a'));
    await jest.advanceTimersByTimeAsync(0);
    const retryAfter = async (): Promise<number> => {
      broker.failAll();
      await jest.advanceTimersByTimeAsync(0);
      let waited = 0;
      while (broker.attempts.length === 0) {
        await jest.advanceTimersByTimeAsync(10);
        waited += 10;
      }
      return waited;
    };
    expect([await retryAfter(), await retryAfter(), await retryAfter(), await retryAfter()]).toEqual([
      100, 200, 300, 300,
    ]);
    broker.confirmAll();
    await jest.advanceTimersByTimeAsync(0);
    events.enqueue(message('b'));
    await jest.advanceTimersByTimeAsync(0);
    expect(await retryAfter()).toBe(100);
  });

  it('should pause once for a burst of failures (a lost connection), counting each as a retry', async () => {
    const events = create({ retryDelayMs: 20 });
    ['a', 'b', 'c'].forEach((id) => events.enqueue(message(id)));
    await nextTurn();
    broker.failAll();
    await nextTurn();
    expect(events.stats()).toMatchObject({ retried: 3, queued: 3 });
    expect(warnings).toHaveBeenCalledTimes(1);
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(broker.idsAttempted().sort()).toEqual(['a', 'b', 'c']);
  });

  it('should attempt nothing while disconnected, and publish what waited as soon as it is woken', async () => {
    broker.connected = false;
    const events = create();
    events.enqueue(message('a'));
    events.enqueue(message('b'));
    await nextTurn();
    expect(broker.publish).not.toHaveBeenCalled();
    expect(events.stats()).toMatchObject({ queued: 2, retried: 0 });
    broker.connected = true;
    events.wake();
    await nextTurn();
    expect(broker.idsAttempted()).toEqual(['a', 'b']);
  });

  it('should drop new events once capacity is held (queued and unconfirmed), logging each id', async () => {
    const events = create({ capacity: 2 });
    expect(events.enqueue(message('a'))).toBe(true);
    await nextTurn();
    expect(events.enqueue(message('b'))).toBe(true);
    expect(events.enqueue(message('c'))).toBe(false);
    expect(events.stats()).toMatchObject({ dropped: 1, queued: 1, unconfirmed: 1 });
    expect(errors).toHaveBeenCalledWith(
      'event c (greeting.greeted.v1) dropped: the buffer is full (2 events waiting for the broker)',
    );
    broker.confirmAll();
    await nextTurn();
    expect(events.enqueue(message('d'))).toBe(true);
  });

  it('should flush: resolve once everything held is confirmed, with nothing dropped', async () => {
    const events = create();
    ['a', 'b'].forEach((id) => events.enqueue(message(id)));
    const flushed = events.flushAndClose(5_000);
    await nextTurn();
    broker.confirmAll();
    await expect(flushed).resolves.toBe(0);
    expect(events.stats()).toMatchObject({ published: 2, dropped: 0 });
  });

  it('should flush for at most the time given, then drop and log what is still held', async () => {
    broker.connected = false;
    const events = create();
    ['a', 'b'].forEach((id) => events.enqueue(message(id)));
    const startedAt = Date.now();
    await expect(events.flushAndClose(100)).resolves.toBe(2);
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(95);
    expect(events.stats()).toMatchObject({ dropped: 2, queued: 0, unconfirmed: 0 });
    expect(errors.mock.calls.map(([line]) => line)).toEqual([
      'event a (greeting.greeted.v1) dropped: still unconfirmed when the publisher closed',
      'event b (greeting.greeted.v1) dropped: still unconfirmed when the publisher closed',
    ]);
  });

  it('should count an event that is unconfirmed at close as dropped once, whatever the broker says later', async () => {
    const events = create();
    events.enqueue(message('a'));
    await nextTurn();
    expect(events.close()).toBe(1);
    broker.confirmAll();
    await nextTurn();
    expect(events.stats()).toMatchObject({ published: 0, dropped: 1, unconfirmed: 0 });
  });

  it('should refuse and log events once closed', () => {
    const events = create();
    events.close();
    expect(events.enqueue(message('late'))).toBe(false);
    expect(errors).toHaveBeenCalledWith(
      'event late (greeting.greeted.v1) dropped: the publisher is closed (shutting down)',
    );
  });

  it('should try again promptly when a flush starts during a long pause', async () => {
    const events = create({ retryDelayMs: 60_000, maxRetryDelayMs: 60_000 });
    events.enqueue(message('a'));
    await nextTurn();
    broker.failAll();
    await nextTurn();
    const flushed = events.flushAndClose(5_000);
    await nextTurn();
    expect(broker.idsAttempted()).toEqual(['a']);
    broker.confirmAll();
    await expect(flushed).resolves.toBe(0);
  });

  it('should say whether one more event fits: not at capacity, not once closed', async () => {
    const events = create({ capacity: 2 });
    events.enqueue(message('a'));
    expect(events.hasRoom()).toBe(true);
    events.enqueue(message('b'));
    expect(events.hasRoom()).toBe(false);
    await nextTurn();
    broker.confirmAll();
    await nextTurn();
    expect(events.hasRoom()).toBe(true);
    events.close();
    expect(events.hasRoom()).toBe(false);
  });

  it('should be backlogged from the high-water mark until the backlog is down to half of it', async () => {
    broker.connected = false;
    const changes: boolean[] = [];
    const events = create({ capacity: 10, highWater: 4, maxUnconfirmed: 10, onBacklogChange: (b) => changes.push(b) });
    ['a', 'b', 'c'].forEach((id) => events.enqueue(message(id)));
    expect(events.backlogged).toBe(false);
    events.enqueue(message('d'));
    expect(events.backlogged).toBe(true);
    events.enqueue(message('e'));
    broker.connected = true;
    events.wake();
    await nextTurn();
    const confirmOne = async () => {
      broker.attempts.shift()?.confirm();
      await nextTurn();
    };
    await confirmOne(); // 4 held
    await confirmOne(); // 3 held: still above half the mark
    expect(events.backlogged).toBe(true);
    await confirmOne(); // 2 held
    expect(events.backlogged).toBe(false);
    expect(changes).toEqual([true, false]);
  });
});

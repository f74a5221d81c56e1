import { status } from '@grpc/grpc-js';
import type { HelloReply } from '@hello/contracts';
import { waitFor } from '@hello/testing';
import { EventBus } from '@nestjs/cqrs';
import {
  greeterClient,
  nextMessage,
  outcomeOf,
  sleep,
  startTestGreeter,
  type DynamicClient,
} from './support/greeter-harness';
import type { GreeterApp } from '../src/greeter.app';
import { GreetedEvent } from '../src/say-hello/greeted.event';
import { STREAM_GREETING_COUNT, STREAM_GREETING_INTERVAL_MS } from '../src/stream-greetings/stream-greetings.handler';

const WHOLE_STREAM_MS = STREAM_GREETING_INTERVAL_MS * (STREAM_GREETING_COUNT - 1);

describe('helloworld.Greeter SayHelloStreamReply over a real socket', () => {
  let greeter: GreeterApp;
  let client: DynamicClient;
  const greeted: GreetedEvent[] = [];
  const greetingsOf = (name: string) => greeted.filter((event) => event.name === name).length;

  beforeAll(async () => {
    greeter = await startTestGreeter();
    greeter.app.get(EventBus).subscribe((event) => {
      if (event instanceof GreetedEvent) greeted.push(event);
    });
    client = greeterClient(greeter.url);
  });

  afterAll(async () => {
    client?.close();
    await greeter?.shutdown();
  });

  it('should stream every numbered greeting, spaced out, then end OK', async () => {
    const startedAt = Date.now();
    const { messages, status: final } = await outcomeOf<HelloReply>(client['SayHelloStreamReply']({ name: 'Ada' }));
    expect(final.code).toBe(status.OK);
    expect(messages).toEqual([1, 2, 3, 4, 5].map((n) => ({ message: `Hello, Ada! (${n}/5)` })));
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(WHOLE_STREAM_MS - 20);
    expect(greetingsOf('Ada')).toBe(STREAM_GREETING_COUNT);
  });

  it('should refuse a bad name with INVALID_ARGUMENT before sending anything', async () => {
    const { messages, status: final } = await outcomeOf<HelloReply>(
      client['SayHelloStreamReply']({ name: 'x'.repeat(300) }),
    );
    expect(messages).toEqual([]);
    expect(final).toMatchObject({ code: status.INVALID_ARGUMENT, details: 'name: must be at most 256 characters' });
  });

  it('should end with DEADLINE_EXCEEDED when the deadline is shorter than the stream, and stop greeting', async () => {
    const startedAt = Date.now();
    const deadlineMs = STREAM_GREETING_INTERVAL_MS + STREAM_GREETING_INTERVAL_MS / 2;
    const { messages, status: final } = await outcomeOf<HelloReply>(
      client['SayHelloStreamReply']({ name: 'Hasty' }, { deadline: startedAt + deadlineMs }),
    );
    expect(final.code).toBe(status.DEADLINE_EXCEEDED);
    // Two greetings fit before the deadline (at 0 and one interval); a busy machine may lose one.
    expect(messages.length).toBeGreaterThanOrEqual(1);
    expect(messages).toEqual(
      [{ message: 'Hello, Hasty! (1/5)' }, { message: 'Hello, Hasty! (2/5)' }].slice(0, messages.length),
    );
    const greetedByTheDeadline = greetingsOf('Hasty');
    expect(greetedByTheDeadline).toBeLessThan(STREAM_GREETING_COUNT);
    // Had the server kept going, the rest of the greetings would be made by now.
    await sleep(startedAt + WHOLE_STREAM_MS + STREAM_GREETING_INTERVAL_MS - Date.now());
    expect(greetingsOf('Hasty')).toBe(greetedByTheDeadline);
  });

  it('should stop greeting when the client cancels', async () => {
    const call = client['SayHelloStreamReply']({ name: 'Quitter' });
    const outcome = outcomeOf<HelloReply>(call);
    await waitFor(() => greetingsOf('Quitter') === 1, { timeoutMs: 2_000, message: 'the first greeting' });
    call.cancel();
    const { status: final } = await outcome;
    expect(final.code).toBe(status.CANCELLED);
    await sleep(WHOLE_STREAM_MS + STREAM_GREETING_INTERVAL_MS);
    expect(greetingsOf('Quitter')).toBe(1);
  });

  it('should serve several streams at once, each to its own end', async () => {
    const names = ['s1', 's2', 's3'];
    const outcomes = await Promise.all(
      names.map((name) => outcomeOf<HelloReply>(client['SayHelloStreamReply']({ name }))),
    );
    outcomes.forEach(({ messages, status: final }, i) => {
      expect(final.code).toBe(status.OK);
      expect(messages.at(-1)).toEqual({ message: `Hello, ${names[i]}! (5/5)` });
    });
  });

  it('should deliver the first greeting at once', async () => {
    const startedAt = Date.now();
    const call = client['SayHelloStreamReply']({ name: 'Prompt' });
    const outcome = outcomeOf<HelloReply>(call);
    await expect(nextMessage<HelloReply>(call, STREAM_GREETING_INTERVAL_MS)).resolves.toEqual({
      message: 'Hello, Prompt! (1/5)',
    });
    expect(Date.now() - startedAt).toBeLessThan(STREAM_GREETING_INTERVAL_MS);
    call.cancel();
    await outcome;
  });
});

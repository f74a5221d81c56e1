import { status } from '@grpc/grpc-js';
import { MAX_NAME_LENGTH, type HelloReply } from '@hello/contracts';
import { EventBus } from '@nestjs/cqrs';
import {
  CapturingLogger,
  failureOf,
  greeterClient,
  helloRequestBytes,
  outcomeOf,
  sayHello,
  sayHelloRaw,
  startGreeterWith,
  startTestGreeter,
  type DynamicClient,
} from './support/greeter-harness';
import type { GreeterApp } from '../src/greeter.app';
import { Clock } from '../src/shared/clock';
import { GreetedEvent } from '../src/say-hello/greeted.event';

describe('helloworld.Greeter SayHello and SayHelloBidiStream over a real socket', () => {
  let greeter: GreeterApp;
  let client: DynamicClient;
  const greeted: GreetedEvent[] = [];

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

  beforeEach(() => {
    greeted.length = 0;
  });

  it('should answer SayHello with the greeting', async () => {
    await expect(sayHello(client, { name: 'world' })).resolves.toEqual({ message: 'Hello, world!' });
  });

  it('should publish a GreetedEvent for the greeting', async () => {
    await sayHello(client, { name: 'Ada' });
    expect(greeted).toEqual([
      expect.objectContaining({ name: 'Ada', message: 'Hello, Ada!', greetedAt: expect.any(Date) }),
    ]);
  });

  it('should greet a name of exactly the longest length, in code points', async () => {
    const name = '😀'.repeat(MAX_NAME_LENGTH);
    await expect(sayHello(client, { name })).resolves.toEqual({ message: `Hello, ${name}!` });
  });

  it('should answer each name of a bidi stream with its greeting, in order', async () => {
    const call = client['SayHelloBidiStream']();
    const outcome = outcomeOf<HelloReply>(call);
    for (const name of ['one', 'two', 'three']) call.write({ name });
    call.end();
    const { messages, status: final } = await outcome;
    expect(final.code).toBe(status.OK);
    expect(messages).toEqual([{ message: 'Hello, one!' }, { message: 'Hello, two!' }, { message: 'Hello, three!' }]);
    expect(greeted.map((event) => event.name)).toEqual(['one', 'two', 'three']);
  });

  it('should answer a bidi stream as it goes, before the client half-closes', async () => {
    const call = client['SayHelloBidiStream']();
    const outcome = outcomeOf<HelloReply>(call);
    call.write({ name: 'early' });
    await new Promise((resolve) => call.once('data', resolve));
    call.end();
    expect((await outcome).messages).toEqual([{ message: 'Hello, early!' }]);
  });

  it('should end a bidi stream with INVALID_ARGUMENT at the first bad name, after the good ones', async () => {
    const call = client['SayHelloBidiStream']();
    const outcome = outcomeOf<HelloReply>(call);
    call.write({ name: 'fine' });
    call.write({ name: '' });
    call.write({ name: 'never answered' });
    const { messages, status: final } = await outcome;
    expect(messages).toEqual([{ message: 'Hello, fine!' }]);
    expect(final).toMatchObject({ code: status.INVALID_ARGUMENT, details: 'name: must not be empty' });
  });

  describe('bad input', () => {
    it.each([
      ['an empty name', '', 'name: must not be empty'],
      [
        'a name one character too long',
        'a'.repeat(MAX_NAME_LENGTH + 1),
        `name: must be at most ${MAX_NAME_LENGTH} characters`,
      ],
      ['a name with a newline', 'Ada\nLovelace', 'name: must not contain control characters'],
      ['a name with a NUL', 'Ada\u0000', 'name: must not contain control characters'],
    ])('should refuse %s with INVALID_ARGUMENT naming the field', async (_, name, details) => {
      const error = await failureOf(sayHello(client, { name }));
      expect(error.code).toBe(status.INVALID_ARGUMENT);
      expect(error.details).toBe(details);
      expect(greeted).toEqual([]);
    });

    it('should refuse a name whose bytes are not UTF-8 with INVALID_ARGUMENT', async () => {
      // "A", a byte that never occurs in UTF-8, then a lead byte without its continuation.
      const error = await failureOf(sayHelloRaw(client, helloRequestBytes([0x41, 0xff, 0xc3, 0x28])));
      expect(error.code).toBe(status.INVALID_ARGUMENT);
      expect(error.details).toBe('name: must be valid UTF-8 text');
    });

    it('should refuse a UTF-8-encoded lone surrogate with INVALID_ARGUMENT', async () => {
      const error = await failureOf(sayHelloRaw(client, helloRequestBytes([0xed, 0xa0, 0x80])));
      expect(error.code).toBe(status.INVALID_ARGUMENT);
      expect(error.details).toBe('name: must be valid UTF-8 text');
    });

    it('should accept well-formed bytes sent the same raw way', async () => {
      const reply = await sayHelloRaw(client, helloRequestBytes([...Buffer.from('Zoë')]));
      expect(reply).toEqual(Buffer.from([0x0a, 12, ...Buffer.from('Hello, Zoë!')]));
    });

    it('should refuse a request larger than the receive limit with RESOURCE_EXHAUSTED', async () => {
      const error = await failureOf(sayHello(client, { name: 'a'.repeat(5_000) }));
      expect(error.code).toBe(status.RESOURCE_EXHAUSTED);
      expect(error.details).toMatch(/larger than max \(\d+ vs 4096\)/);
      expect(greeted).toEqual([]);
    });

    it('should still serve after all of that', async () => {
      await expect(sayHello(client, { name: 'again' })).resolves.toEqual({ message: 'Hello, again!' });
    });
  });
});

describe('helloworld.Greeter when a handler fails unexpectedly', () => {
  let greeter: GreeterApp;
  let client: DynamicClient;
  const logger = new CapturingLogger();

  beforeAll(async () => {
    greeter = await startGreeterWith(
      (builder) =>
        builder.overrideProvider(Clock).useValue({
          now: () => {
            throw new Error('clock exploded at /srv/secret/clock.ts');
          },
        }),
      logger,
    );
    client = greeterClient(greeter.url);
  });

  afterAll(async () => {
    client?.close();
    await greeter?.shutdown();
  });

  it('should answer INTERNAL with a generic message and no stack or detail', async () => {
    const error = await failureOf(sayHello(client, { name: 'world' }));
    expect(error.code).toBe(status.INTERNAL);
    expect(error.details).toBe('Internal error');
    expect(error.metadata.getMap()).not.toHaveProperty('grpc-status-details-bin');
    expect(JSON.stringify(error.metadata.toJSON())).not.toContain('exploded');
  });

  it('should log the error, with its stack, on the server', async () => {
    await failureOf(sayHello(client, { name: 'world' }));
    const logged = logger.entries.filter((entry) => entry.level === 'error');
    expect(logged.at(-1)?.message).toBe(
      'unexpected error in /helloworld.Greeter/SayHello: clock exploded at /srv/secret/clock.ts',
    );
    expect(String(logged.at(-1)?.extra[0])).toMatch(/^Error: clock exploded[\s\S]*\n\s+at /);
  });

  it('should answer INTERNAL for a stream too, and keep serving', async () => {
    const { messages, status: final } = await outcomeOf(client['SayHelloStreamReply']({ name: 'world' }));
    expect(messages).toEqual([]);
    expect(final).toMatchObject({ code: status.INTERNAL, details: 'Internal error' });
    const again = await failureOf(sayHello(client, { name: 'world' }));
    expect(again.code).toBe(status.INTERNAL);
  });
});

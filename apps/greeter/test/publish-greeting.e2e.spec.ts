import { Metadata, status } from '@grpc/grpc-js';
import { GreetingGreetedIntegrationEvent, type HelloReply } from '@hello/contracts';
import { AmqpTestClient, createTestVhost, freePort, jsonOf, waitFor, type TestVhost } from '@hello/testing';
import type { ConsumeMessage } from 'amqplib';
import type { GreeterApp } from '../src/greeter.app';
import { GreeterBroker } from '../src/messaging/greeter-broker';
import {
  CapturingLogger,
  failureOf,
  greeterClient,
  healthClient,
  outcomeOf,
  sayHello,
  startGreeterWith,
  startTestGreeter,
  unary,
  type DynamicClient,
} from './support/greeter-harness';

const EVENTS_QUEUE = 'greeter-test.greeting-events';

/** Waits for exactly `count` messages: fails if fewer arrive in time, or more arrive soon after. */
async function exactly(messages: ConsumeMessage[], count: number): Promise<ConsumeMessage[]> {
  await waitFor(() => messages.length >= count, { timeoutMs: 10_000, message: `${count} greeting.greeted messages` });
  await new Promise((resolve) => setTimeout(resolve, 200));
  expect(messages).toHaveLength(count);
  return messages.splice(0);
}

describe('greeting.greeted integration events on a real broker', () => {
  let vhost: TestVhost;
  let amqp: AmqpTestClient;
  let received: ConsumeMessage[];
  let greeter: GreeterApp;
  let client: DynamicClient;

  beforeAll(async () => {
    vhost = await createTestVhost('greeter-events');
    amqp = await AmqpTestClient.connect(vhost.url);
    // What any subscriber does: its own queue, bound to the events exchange by routing key.
    await amqp.bindQueue(EVENTS_QUEUE, 'hello.events', 'greeting.greeted');
    received = await amqp.collect(EVENTS_QUEUE);
    greeter = await startTestGreeter({ rabbitmqUrl: vhost.url });
    client = greeterClient(greeter.url);
  });

  afterAll(async () => {
    client?.close();
    await greeter?.shutdown();
    await amqp?.close();
    await vhost?.delete();
  });

  afterEach(() => {
    received.length = 0;
  });

  it('should publish one persistent, typed greeting.greeted message for a SayHello', async () => {
    const before = Date.now();
    await expect(sayHello(client, { name: 'Ada' })).resolves.toEqual({ message: 'Hello, Ada!' });
    const [delivered] = await exactly(received, 1);

    const body = jsonOf<Record<string, unknown>>(delivered);
    expect(body).toEqual({
      eventId: expect.any(String),
      name: 'Ada',
      message: 'Hello, Ada!',
      greetedAt: expect.any(String),
    });
    expect(Date.parse(body['greetedAt'] as string)).toBeGreaterThanOrEqual(before - 1);
    expect(GreetingGreetedIntegrationEvent.parse(body).eventId).toBe(body['eventId']);
    expect(delivered.fields).toMatchObject({ exchange: 'hello.events', routingKey: 'greeting.greeted' });
    expect(delivered.properties).toMatchObject({
      type: 'greeting.greeted.v1',
      messageId: body['eventId'],
      contentType: 'application/json',
      deliveryMode: 2,
      appId: 'greeter',
    });
    expect(delivered.properties.headers?.['traceparent']).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  });

  it("should continue the caller's trace from the call's metadata into the event (no exporter: the platform's interceptor)", async () => {
    const callerTraceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const callerSpanId = '00f067aa0ba902b7';
    const metadata = new Metadata();
    metadata.set('traceparent', `00-${callerTraceId}-${callerSpanId}-01`);
    await new Promise<void>((resolve, reject) =>
      client['SayHello']({ name: 'Traced' }, metadata, (error: Error | null) => (error ? reject(error) : resolve())),
    );
    const [event] = await exactly(received, 1);
    const [, traceId, spanId, flags] = String(event.properties.headers?.['traceparent']).split('-');
    expect({ traceId, flags }).toEqual({ traceId: callerTraceId, flags: '01' });
    expect(spanId).not.toBe(callerSpanId);
  });

  // With an exporter, the gRPC instrumentation does it instead, with recorded spans:
  // tools/stack/src/observability.e2e.spec.ts checks that on the apps as real processes.

  it('should publish one event per greeting of SayHelloStreamReply, each with its own id', async () => {
    const { messages } = await outcomeOf<HelloReply>(client['SayHelloStreamReply']({ name: 'Stream' }));
    expect(messages).toHaveLength(5);
    const events = (await exactly(received, 5)).map((message) => jsonOf<{ eventId: string; message: string }>(message));
    expect(events.map((event) => event.message).sort()).toEqual(messages.map((reply) => reply.message).sort());
    expect(new Set(events.map((event) => event.eventId)).size).toBe(5);
  });

  it('should publish one event per name of a SayHelloBidiStream', async () => {
    const call = client['SayHelloBidiStream']();
    const outcome = outcomeOf<HelloReply>(call);
    for (const name of ['one', 'two', 'three']) call.write({ name });
    call.end();
    await outcome;
    const names = (await exactly(received, 3)).map((message) => jsonOf<{ name: string }>(message).name);
    expect(names.sort()).toEqual(['one', 'three', 'two']);
  });

  it('should publish every event of a burst of concurrent calls, each exactly once', async () => {
    const broker = greeter.app.get(GreeterBroker);
    const publishedBefore = broker.events.stats().published;
    const names = Array.from({ length: 300 }, (_, i) => `burst-${i}`);
    await Promise.all(names.map((name) => sayHello(client, { name })));
    const events = (await exactly(received, names.length)).map((message) =>
      jsonOf<{ eventId: string; name: string }>(message),
    );
    expect(events.map((event) => event.name).sort()).toEqual([...names].sort());
    expect(new Set(events.map((event) => event.eventId)).size).toBe(names.length);
    expect(broker.events.stats()).toMatchObject({
      published: publishedBefore + names.length,
      dropped: 0,
      queued: 0,
      unconfirmed: 0,
    });
  });
});

describe('greeting.greeted events while the broker is unreachable', () => {
  let greeter: GreeterApp | undefined;
  let logger: CapturingLogger;
  const clients: DynamicClient[] = [];

  afterEach(async () => {
    clients.splice(0).forEach((client) => client.close());
    await greeter?.shutdown();
    greeter = undefined;
  });

  const start = async ({
    eventsBufferSize,
    shutdownGraceMs,
  }: {
    eventsBufferSize: number;
    shutdownGraceMs: number;
  }) => {
    const overrides = { eventsBufferSize, eventsHighWater: eventsBufferSize, shutdownGraceMs };
    logger = new CapturingLogger();
    // Nothing listens on this port: every connection attempt is refused.
    const rabbitmqUrl = `amqp://guest:guest@127.0.0.1:${await freePort()}`;
    greeter = await startGreeterWith((builder) => builder, logger, { rabbitmqUrl, ...overrides });
    const client = greeterClient(greeter.url);
    const health = healthClient(greeter.url);
    clients.push(client, health);
    return { greeter, client, health, events: greeter.app.get(GreeterBroker).events };
  };

  const errorLines = () => logger.entries.filter((entry) => entry.level === 'error').map((entry) => entry.message);

  it('should answer at once, stay SERVING, and keep the events waiting', async () => {
    const { client, health, events } = await start({ eventsBufferSize: 100, shutdownGraceMs: 100 });
    await expect(unary(health, 'Check', { service: '' })).resolves.toEqual({ status: 'SERVING' });
    for (const name of ['a', 'b', 'c']) {
      const startedAt = Date.now();
      await expect(sayHello(client, { name })).resolves.toEqual({ message: `Hello, ${name}!` });
      // A publish waiting for the broker would take its 5 s timeout, or forever.
      expect(Date.now() - startedAt).toBeLessThan(1_000);
    }
    await expect(unary(health, 'Check', { service: 'helloworld.Greeter' })).resolves.toEqual({ status: 'SERVING' });
    expect(events.stats()).toEqual({ published: 0, retried: 0, dropped: 0, queued: 3, unconfirmed: 0 });
  });

  it('should fail calls UNAVAILABLE once the buffer is full, never answering OK without keeping the event', async () => {
    const { client, health, events } = await start({ eventsBufferSize: 2, shutdownGraceMs: 100 });
    for (const name of ['a', 'b']) {
      await expect(sayHello(client, { name })).resolves.toEqual({ message: `Hello, ${name}!` });
    }
    for (const name of ['c', 'd']) {
      const error = await failureOf(sayHello(client, { name }));
      expect(error.code).toBe(status.UNAVAILABLE);
      expect(error.details).toBe(
        "the greeting's event cannot be kept: 2 events are already waiting for the message broker, " +
          'which is unavailable or not keeping up; retry later',
      );
    }
    const stream = await outcomeOf(client['SayHelloStreamReply']({ name: 'e' }));
    expect(stream.messages).toEqual([]);
    expect(stream.status.code).toBe(status.UNAVAILABLE);
    expect(events.stats()).toMatchObject({ dropped: 0, queued: 2 });
    expect(errorLines().filter((line) => line.includes('dropped'))).toEqual([]);
    // At the high-water mark (the buffer size here) the greeter reports itself NOT_SERVING.
    await expect(unary(health, 'Check', { service: '' })).resolves.toEqual({ status: 'NOT_SERVING' });
  });

  it('should give up at shutdown once the grace period is over, logging what could not be sent', async () => {
    const grace = 300;
    const { greeter: running, client, events } = await start({ eventsBufferSize: 100, shutdownGraceMs: grace });
    await sayHello(client, { name: 'a' });
    await sayHello(client, { name: 'b' });
    const startedAt = Date.now();
    await running.shutdown();
    const took = Date.now() - startedAt;
    expect(took).toBeGreaterThanOrEqual(grace - 10);
    expect(took).toBeLessThan(grace + 2_000);
    expect(events.stats()).toMatchObject({ published: 0, dropped: 2, queued: 0, unconfirmed: 0 });
    const lines = errorLines();
    expect(
      lines.filter((line) => /^event [0-9a-f-]{36} \(greeting\.greeted\.v1\) dropped: still unconfirmed/.test(line)),
    ).toHaveLength(2);
    expect(lines).toContain('2 events could not be sent before shutdown (broker unreachable); they are lost');
  });
});

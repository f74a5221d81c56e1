import { randomUUID } from 'node:crypto';
import { connect, type Channel, type ChannelModel, type ConsumeMessage, type Options } from 'amqplib';
import { EventBus } from '@nestjs/cqrs';
import { deriveId, GreetingGreetedIntegrationEvent, MessageHeaders, Topology } from '@hello/contracts';
import { AmqpTestClient, createTestVhost, jsonOf, traceIdOf, waitFor, type TestVhost } from '@hello/testing';
import type { GreeterApp } from '../src/greeter.app';
import {
  CapturingLogger,
  failureOf,
  greeterClient,
  sayHello,
  startGreeterWith,
  startTestGreeter,
  type DynamicClient,
} from './support/greeter-harness';
import { Clock } from '../src/shared/clock';
import { GreetedEvent } from '../src/say-hello/greeted.event';
import { GreeterRpcServer } from '../src/messaging/greeter-rpc-server';

/** A plain amqplib caller, as any AMQP client would be: its own reply queue or direct reply-to. */
class RpcCaller {
  private readonly replies = new Map<string, (message: ConsumeMessage) => void>();
  private constructor(
    private readonly connection: ChannelModel,
    private readonly channel: Channel,
    readonly replyTo: string,
  ) {}

  static async open(url: string, mode: 'callback-queue' | 'direct'): Promise<RpcCaller> {
    const connection = await connect(url);
    const channel = await connection.createChannel();
    let replyTo = 'amq.rabbitmq.reply-to';
    if (mode === 'callback-queue') ({ queue: replyTo } = await channel.assertQueue('', { exclusive: true }));
    const caller = new RpcCaller(connection, channel, replyTo);
    await channel.consume(
      replyTo,
      (message) => message && caller.replies.get(message.properties.correlationId)?.(message),
      {
        noAck: true,
      },
    );
    return caller;
  }

  /** Sends one request and resolves with its reply, or undefined when none came within `waitMs`. */
  call(body: string | Buffer, properties: Options.Publish = {}, waitMs = 10_000): Promise<ConsumeMessage | undefined> {
    const correlationId = properties.correlationId ?? randomUUID();
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(undefined), waitMs);
      this.replies.set(correlationId, (message) => {
        clearTimeout(timer);
        resolve(message);
      });
      this.channel.sendToQueue(Topology.helloRpcQueue, Buffer.from(body), {
        replyTo: this.replyTo,
        correlationId,
        ...properties,
      });
    });
  }

  async close(): Promise<void> {
    await this.connection.close().catch(() => undefined);
  }
}

const json = (value: unknown) => ({ body: JSON.stringify(value), contentType: 'application/json' });

describe('SayHello over RabbitMQ request/reply (hello.rpc), greeter in process', () => {
  let vhost: TestVhost;
  let greeter: GreeterApp;
  let grpc: DynamicClient;
  let callbackQueue: RpcCaller;
  let direct: RpcCaller;
  let probe: AmqpTestClient;
  let events: ConsumeMessage[];
  const greeted: GreetedEvent[] = [];

  beforeAll(async () => {
    vhost = await createTestVhost('greeter-rpc');
    probe = await AmqpTestClient.connect(vhost.url);
    await probe.bindQueue('greeted', Topology.eventsExchange, GreetingGreetedIntegrationEvent.routingKey);
    events = await probe.collect('greeted');
    greeter = await startTestGreeter({ rabbitmqUrl: vhost.url });
    greeter.app.get(EventBus).subscribe((event) => event instanceof GreetedEvent && greeted.push(event));
    await greeter.app.get(GreeterRpcServer).server.waitUntilConsuming();
    grpc = greeterClient(greeter.url);
    callbackQueue = await RpcCaller.open(vhost.url, 'callback-queue');
    direct = await RpcCaller.open(vhost.url, 'direct');
  });

  afterAll(async () => {
    grpc?.close();
    await callbackQueue?.close();
    await direct?.close();
    await probe?.close();
    await greeter?.shutdown();
    await vhost?.delete();
  });

  beforeEach(() => {
    greeted.length = 0;
  });

  it('should answer a JSON request on an exclusive callback queue with the greeting and the same correlation id', async () => {
    const { body, contentType } = json({ name: 'Ada' });
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const reply = await callbackQueue.call(body, { contentType, correlationId: 'c-1', headers: { traceparent } });
    expect(reply).toBeDefined();
    expect(jsonOf(reply as ConsumeMessage)).toEqual({ message: 'Hello, Ada!' });
    expect(reply?.properties).toMatchObject({
      correlationId: 'c-1',
      contentType: 'application/json',
      appId: 'greeter',
    });
    expect(traceIdOf(reply?.properties.headers?.[MessageHeaders.traceparent])).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
  });

  it('should answer a plain-text request (the name) over direct reply-to', async () => {
    const reply = await direct.call('Grace');
    expect(jsonOf(reply as ConsumeMessage)).toEqual({ message: 'Hello, Grace!' });
  });

  it('should publish greeting.greeted as a gRPC greeting does, with an id derived from the request', async () => {
    const messageId = randomUUID();
    await direct.call(JSON.stringify({ name: 'Evented' }), { contentType: 'application/json', messageId });
    expect(greeted).toEqual([expect.objectContaining({ name: 'Evented', message: 'Hello, Evented!' })]);
    await waitFor(() => events.some((event) => jsonOf<{ name: string }>(event).name === 'Evented'));
    const event = events.find((e) => jsonOf<{ name: string }>(e).name === 'Evented') as ConsumeMessage;
    expect(jsonOf(event)).toMatchObject({
      eventId: deriveId(GreetingGreetedIntegrationEvent.type, messageId),
      message: 'Hello, Evented!',
    });
    expect(event.properties.type).toBe(GreetingGreetedIntegrationEvent.type);
  });

  it('should answer a repeated request (same message id) again with the same reply, greeting only once', async () => {
    const messageId = randomUUID();
    const first = await callbackQueue.call('Twice', { messageId, correlationId: 'twice-1' });
    const second = await callbackQueue.call('Twice', { messageId, correlationId: 'twice-1' });
    expect(jsonOf(first as ConsumeMessage)).toEqual({ message: 'Hello, Twice!' });
    expect(jsonOf(second as ConsumeMessage)).toEqual({ message: 'Hello, Twice!' });
    expect(greeted.filter((event) => event.name === 'Twice')).toHaveLength(1);
    expect(greeter.app.get(GreeterRpcServer).server.stats().repeated).toBeGreaterThanOrEqual(1);
  });

  describe('bad input gets an error reply with the code and message the gRPC transport gives', () => {
    it.each([
      ['an empty name (JSON)', json({ name: '' }), 'INVALID_ARGUMENT', 'name: must not be empty'],
      ['an empty text body', { body: '', contentType: 'text/plain' }, 'INVALID_ARGUMENT', 'name: must not be empty'],
      ['a name that is not a string', json({ name: 42 }), 'INVALID_ARGUMENT', 'name: must be a string'],
      [
        'a name with a newline',
        json({ name: 'Ada\nLovelace' }),
        'INVALID_ARGUMENT',
        'name: must not contain control characters',
      ],
    ])('should refuse %s', async (_, { body, contentType }, code, message) => {
      const reply = (await direct.call(body, { contentType })) as ConsumeMessage;
      expect(jsonOf(reply)).toEqual({ error: { code, message } });
      expect(reply.properties.headers?.[MessageHeaders.errorCode]).toBe(code);
      expect(reply.properties.contentType).toBe('application/json');
      expect(greeted).toEqual([]);
    });

    it('should word an invalid name exactly as gRPC does (one mapping for both transports)', async () => {
      const overGrpc = await failureOf(sayHello(grpc, { name: '' }));
      const overAmqp = jsonOf<{ error: { code: string; message: string } }>(
        (await callbackQueue.call(JSON.stringify({ name: '' }), { contentType: 'application/json' })) as ConsumeMessage,
      );
      expect(overAmqp.error).toEqual({ code: 'INVALID_ARGUMENT', message: overGrpc.details });
      expect(overGrpc.code).toBe(3);
    });

    it('should refuse malformed JSON with INVALID_ARGUMENT', async () => {
      const reply = (await direct.call('{"name": "Ada"', { contentType: 'application/json' })) as ConsumeMessage;
      const { error } = jsonOf<{ error: { code: string; message: string } }>(reply);
      expect(error.code).toBe('INVALID_ARGUMENT');
      expect(error.message).toMatch(/^body is not valid JSON: /);
      expect(reply.properties.headers?.[MessageHeaders.errorCode]).toBe('INVALID_ARGUMENT');
    });

    it('should refuse a content type it cannot read with INVALID_ARGUMENT', async () => {
      const reply = (await direct.call('<name>Ada</name>', { contentType: 'application/xml' })) as ConsumeMessage;
      expect(jsonOf<{ error: { code: string } }>(reply).error.code).toBe('INVALID_ARGUMENT');
      expect(greeted).toEqual([]);
    });

    it('should refuse a 1 MB name with RESOURCE_EXHAUSTED, as gRPC refuses a request over its receive limit', async () => {
      const name = 'a'.repeat(1024 * 1024);
      const overGrpc = await failureOf(sayHello(grpc, { name }));
      const reply = (await direct.call(JSON.stringify({ name }), {
        contentType: 'application/json',
      })) as ConsumeMessage;
      const { error } = jsonOf<{ error: { code: string; message: string } }>(reply);
      expect(error).toEqual({
        code: 'RESOURCE_EXHAUSTED',
        message: `Received message larger than max (${1024 * 1024 + 11} vs 4096)`,
      });
      expect(overGrpc.code).toBe(8);
      expect(overGrpc.details).toMatch(/^Received message larger than max \(\d+ vs 4096\)$/);
      expect(greeted).toEqual([]);
    });

    it('should dead-letter a request without reply_to with its reason', async () => {
      const messageId = randomUUID();
      await probe.publish(Topology.helloRpcQueue, 'Nobody', { messageId });
      const [dead] = await probe.get(Topology.helloRpcDeadLetterQueue, 1, 10_000);
      expect(dead.properties.messageId).toBe(messageId);
      expect(dead.properties.headers?.[MessageHeaders.deathReason]).toBe('no-reply-to');
      expect(String(dead.properties.headers?.[MessageHeaders.deathDetail])).toMatch(/no reply_to/);
      expect(greeted).toEqual([]);
    });

    it('should not handle nor answer a request whose deadline has passed', async () => {
      const before = greeter.app.get(GreeterRpcServer).server.stats().expired;
      const reply = await direct.call('Late', { headers: { [MessageHeaders.deadline]: Date.now() - 1 } }, 1_500);
      expect(reply).toBeUndefined();
      expect(greeted).toEqual([]);
      expect(greeter.app.get(GreeterRpcServer).server.stats().expired).toBe(before + 1);
    });

    it('should still answer after all of that', async () => {
      expect(jsonOf((await callbackQueue.call('again')) as ConsumeMessage)).toEqual({ message: 'Hello, again!' });
    });
  });
});

describe('SayHello over hello.rpc when the handler fails unexpectedly', () => {
  let vhost: TestVhost;
  let greeter: GreeterApp;
  let caller: RpcCaller;
  const logger = new CapturingLogger();

  beforeAll(async () => {
    vhost = await createTestVhost('greeter-rpc-internal');
    greeter = await startGreeterWith(
      (builder) =>
        builder.overrideProvider(Clock).useValue({
          now: () => {
            throw new Error('clock exploded at /srv/secret/clock.ts');
          },
        }),
      logger,
      { rabbitmqUrl: vhost.url },
    );
    await greeter.app.get(GreeterRpcServer).server.waitUntilConsuming();
    caller = await RpcCaller.open(vhost.url, 'direct');
  });

  afterAll(async () => {
    await caller?.close();
    await greeter?.shutdown();
    await vhost?.delete();
  });

  it('should answer INTERNAL with a generic message, as gRPC does, and log the error with its stack', async () => {
    const reply = (await caller.call('world')) as ConsumeMessage;
    expect(jsonOf(reply)).toEqual({ error: { code: 'INTERNAL', message: 'Internal error' } });
    expect(reply.content.toString()).not.toContain('exploded');
    const logged = logger.entries.filter((entry) => entry.level === 'error').at(-1);
    expect(logged?.message).toBe('unexpected error in hello.rpc SayHello: clock exploded at /srv/secret/clock.ts');
    expect(String(logged?.extra[0])).toMatch(/^Error: clock exploded[\s\S]*\n\s+at /);
  });
});

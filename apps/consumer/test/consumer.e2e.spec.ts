import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { ConsumeMessage } from 'amqplib';
import { MessageHeaders, HELLO_MESSAGE_TYPE, MessageHandledIntegrationEvent, Topology } from '@hello/contracts';
import { ArgumentMismatchError } from '@hello/messaging';
import {
  AmqpTestClient,
  createTestVhost,
  freePort,
  jsonOf,
  TestVhost,
  waitFor,
  scrapeMetrics,
  testPlatformConfig,
} from '@hello/testing';
import { AppModule } from '../src/app.module';
import { ConsumerConfig } from '../src/config/consumer.config';
import { createConsumerApp, startConsumerApp } from '../src/consumer.app';
import { MessageHandledPublisher } from '../src/handle-message/message-handled.publisher';
import { ConsumerBroker } from '../src/messaging/consumer-broker';

// The consumer app in this process against a real RabbitMQ (own vhost). The effect of each handled
// message is a `message.handled` event on hello.events, collected here through a bound queue.

/**
 * The real effect publisher behind a test-only wrapper that fails on purpose: texts starting with
 * "fail-twice" fail their first two publishes, texts starting with "fail-always" always fail.
 */
function failingEffects(broker: ConsumerBroker): Pick<MessageHandledPublisher, 'publish'> {
  const real = new MessageHandledPublisher(broker);
  const failures = new Map<string, number>();
  return {
    async publish(event) {
      const failed = failures.get(event.messageId) ?? 0;
      if (event.text.startsWith('fail-always') || (event.text.startsWith('fail-twice') && failed < 2)) {
        failures.set(event.messageId, failed + 1);
        throw new Error(`effect store unavailable (failure ${failed + 1})`);
      }
      await real.publish(event);
    },
  };
}

describe('consumer (in process, real RabbitMQ)', () => {
  let vhost: TestVhost;
  let client: AmqpTestClient;
  let app: INestApplication;
  let baseUrl: string;
  let effects: ConsumeMessage[];

  const effectsOf = (messageId: string) =>
    effects.filter((m) => jsonOf<{ messageId: string }>(m).messageId === messageId);
  const publishJson = (body: unknown, messageId: string, type = HELLO_MESSAGE_TYPE) =>
    client.publish(Topology.helloQueue, JSON.stringify(body), {
      messageId,
      type,
      contentType: 'application/json',
      persistent: true,
    });
  // What the consumer did with deliveries of `hello`, as its Prometheus counters say.
  const metrics = async () => {
    const scrape = await scrapeMetrics(baseUrl);
    const consumed = (outcome: string) =>
      scrape.value('amqp_messages_consumed_total', { queue: Topology.helloQueue, outcome });
    return {
      handled: consumed('ack'),
      retried: consumed('retry'),
      deadLettered: consumed('dead-letter'),
      duplicates: consumed('duplicate'),
    };
  };

  beforeAll(async () => {
    vhost = await createTestVhost('consumer');
    client = await AmqpTestClient.connect(vhost.url);
    await client.bindQueue('effects', Topology.eventsExchange, MessageHandledIntegrationEvent.routingKey);
    effects = await client.collect('effects');

    const port = await freePort();
    const config: ConsumerConfig = {
      platform: testPlatformConfig(),
      httpPort: port,
      rabbitmqUrl: vhost.url,
      prefetch: 5,
      retry: { delaysMs: [100, 200] },
      deduplicationCapacity: 1000,
      drainTimeoutMs: 5_000,
    };
    const moduleRef = await Test.createTestingModule({
      imports: [AppModule.register(config)],
    })
      .overrideProvider(MessageHandledPublisher)
      .useFactory({ factory: failingEffects, inject: [ConsumerBroker] })
      .compile();
    ({ app } = await startConsumerApp(moduleRef.createNestApplication({ logger: false }), config));
    baseUrl = `http://127.0.0.1:${port}`;
  });

  afterAll(async () => {
    await app?.close();
    await client?.close();
    await vhost?.delete();
  });

  it('should report ready on GET /health/ready and live on GET /health/live', async () => {
    const ready = await fetch(`${baseUrl}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({
      status: 'ok',
      info: {
        'consumer:hello': { status: 'up' },
        broker: { status: 'up' },
        'publisher:consumer': { status: 'up' },
      },
    });
    expect((await fetch(`${baseUrl}/health/live`)).status).toBe(200);
  });

  it('should handle a plain-text message from a plain AMQP client (the tutorial) and publish its effect', async () => {
    // basic_publish(exchange='', routing_key='hello', body='Hello World!'): no properties at all.
    await client.publish(Topology.helloQueue, 'Hello World!');
    const effect = await waitFor(() => effects.find((m) => jsonOf<{ text: string }>(m).text === 'Hello World!'), {
      message: 'effect of the tutorial message',
    });
    const body = jsonOf<{
      eventId: string;
      messageId: string;
      handledAt: string;
    }>(effect);
    expect(effect.properties).toMatchObject({
      type: MessageHandledIntegrationEvent.type,
      messageId: body.eventId,
      correlationId: body.messageId,
      deliveryMode: 2,
    });
    expect(body.eventId).toBe(MessageHandledIntegrationEvent.eventIdFor(body.messageId));
    expect(Number.isNaN(Date.parse(body.handledAt))).toBe(false);
  });

  it('should handle a JSON message once, continuing its trace, even when it is delivered twice', async () => {
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    for (let copy = 0; copy < 2; copy++) {
      await client.publish(Topology.helloQueue, JSON.stringify({ text: 'twice' }), {
        messageId: 'json-1',
        type: HELLO_MESSAGE_TYPE,
        contentType: 'application/json',
        headers: { [MessageHeaders.traceparent]: traceparent },
      });
    }
    await waitFor(async () => (await metrics()).duplicates >= 1, {
      message: 'duplicate acked',
    });
    const [effect] = await waitFor(() => (effectsOf('json-1').length ? effectsOf('json-1') : undefined), {
      message: 'effect of json-1',
    });
    expect(String(effect.properties.headers?.[MessageHeaders.traceparent])).toContain(
      '4bf92f3577b34da6a3ce929d0e0e4736',
    );
    // Give a wrongly applied second copy time to show up.
    await publishJson({ text: 'marker' }, 'marker-1');
    await waitFor(() => effectsOf('marker-1').length === 1, {
      message: 'marker handled',
    });
    expect(effectsOf('json-1')).toHaveLength(1);
  });

  it.each([
    [
      'malformed JSON',
      'malformed-json',
      () =>
        client.publish(Topology.helloQueue, '{"text": "unterminated', {
          messageId: 'bad-1',
          type: HELLO_MESSAGE_TYPE,
          contentType: 'application/json',
        }),
    ],
    ['a body of the wrong schema', 'invalid-message', () => publishJson({ message: 'no text field' }, 'bad-2')],
    ['an unknown type', 'unknown-type', () => publishJson({ text: 'x' }, 'bad-3', 'hello.message.v99')],
  ])('should dead-letter %s with reason %s and let the next good message flow', async (_what, reason, publishBad) => {
    const next = `next-after-${reason}`;
    await publishBad();
    await publishJson({ text: next }, next);
    const [dead] = await client.get(Topology.helloDeadLetterQueue, 1);
    expect(dead.properties.headers).toMatchObject({
      [MessageHeaders.deathReason]: reason,
      [MessageHeaders.attempts]: 1,
    });
    expect(String(dead.properties.headers?.[MessageHeaders.deathDetail]).length).toBeGreaterThan(0);
    await waitFor(() => effectsOf(next).length === 1, {
      message: `${next} handled`,
    });
  });

  it('should retry a message whose handling fails twice, with backoff, and apply its effect once', async () => {
    const before = await metrics();
    const started = Date.now();
    await publishJson({ text: 'fail-twice then work' }, 'flaky-1');
    const [effect] = await waitFor(() => (effectsOf('flaky-1').length ? effectsOf('flaky-1') : undefined), {
      message: 'flaky-1 handled',
      timeoutMs: 5_000,
    });
    expect(effect.properties.timestamp).toBeDefined();
    expect(Date.now() - started).toBeGreaterThanOrEqual(300); // 100 ms + 200 ms of retry delays
    const after = await metrics();
    expect(after.retried - before.retried).toBe(2);
    expect(after.handled - before.handled).toBe(1);
    expect(effectsOf('flaky-1')).toHaveLength(1);
  });

  it('should dead-letter a message whose handling always fails after 3 attempts, with the last error', async () => {
    await publishJson({ text: 'fail-always' }, 'doomed-1');
    const [dead] = await client.get(Topology.helloDeadLetterQueue, 1, 5_000);
    expect(dead.properties.messageId).toBe('doomed-1');
    expect(dead.properties.headers).toMatchObject({
      [MessageHeaders.deathReason]: 'handler-failed',
      [MessageHeaders.deathDetail]: 'Error: effect store unavailable (failure 3)',
      [MessageHeaders.attempts]: 3,
    });
    expect(jsonOf(dead)).toEqual({ text: 'fail-always' });
    expect(effectsOf('doomed-1')).toHaveLength(0);
  });

  it('should count what it did on GET /metrics, in the Prometheus text format', async () => {
    const response = await fetch(`${baseUrl}/metrics`);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain;.*version=0\.0\.4/);
    const counters = await metrics();
    expect(counters.handled).toBeGreaterThanOrEqual(1);
    expect(counters.deadLettered).toBeGreaterThanOrEqual(4);
    expect(counters.retried).toBeGreaterThanOrEqual(4);
  });
});

describe('consumer start-up against a queue declared with other arguments', () => {
  it('should fail with an error naming the argument, the expected and the actual value', async () => {
    const vhost = await createTestVhost('consumer-mismatch');
    const client = await AmqpTestClient.connect(vhost.url);
    // What RabbitMQ's tutorial does: queue_declare('hello') — a non-durable classic queue.
    await client.channel.assertQueue(Topology.helloQueue, { durable: false });
    const config: ConsumerConfig = {
      platform: testPlatformConfig(),
      httpPort: 0,
      rabbitmqUrl: vhost.url,
      prefetch: 1,
      retry: { delaysMs: [] },
      deduplicationCapacity: 10,
      drainTimeoutMs: 100,
    };
    try {
      // startConsumerApp closes the app when it cannot start.
      const error = await startConsumerApp(await createConsumerApp(config, { logger: false }), config).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ArgumentMismatchError);
      expect((error as Error).message).toMatch(
        new RegExp(
          `queue 'hello' in vhost '${vhost.vhost}' already exists with a different 'durable': expected 'true', but the existing queue has 'false'`,
        ),
      );
    } finally {
      await client.close();
      await vhost.delete();
    }
  });
});

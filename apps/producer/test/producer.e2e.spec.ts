import { INestApplication } from '@nestjs/common';
import { MessageHeaders, HELLO_MESSAGE_TYPE, MAX_MESSAGE_TEXT_BYTES, Topology } from '@hello/contracts';
import { ArgumentMismatchError } from '@hello/messaging';
import {
  AmqpTestClient,
  createTestVhost,
  freePort,
  jsonOf,
  TestVhost,
  scrapeMetrics,
  testPlatformConfig,
} from '@hello/testing';
import { ProducerConfig } from '../src/config/producer.config';
import { createProducerApp, startProducerApp } from '../src/producer.app';

// The producer app in this process, real HTTP on a free port, real RabbitMQ (own vhost).

async function startProducer(config: ProducerConfig): Promise<{ app: INestApplication; baseUrl: string }> {
  const { app, httpPort } = await startProducerApp(await createProducerApp(config, { logger: false }), config);
  return { app, baseUrl: `http://127.0.0.1:${httpPort}` };
}

const post = (baseUrl: string, body: string, headers: Record<string, string> = {}) =>
  fetch(`${baseUrl}/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });

describe('producer (in process, real RabbitMQ)', () => {
  let vhost: TestVhost;
  let client: AmqpTestClient;
  let app: INestApplication;
  let baseUrl: string;

  beforeAll(async () => {
    vhost = await createTestVhost('producer');
    ({ app, baseUrl } = await startProducer({
      platform: testPlatformConfig(),
      httpPort: await freePort(),
      rabbitmqUrl: vhost.url,
      publishTimeoutMs: 2_000,
      retryAfterSeconds: 5,
      rpcTimeoutMs: 5_000,
    }));
    client = await AmqpTestClient.connect(vhost.url);
  });

  afterAll(async () => {
    await client?.close();
    await app?.close();
    await vhost?.delete();
  });

  it('should answer 202 with the message id once the message is on the hello queue, with its metadata', async () => {
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const response = await post(baseUrl, JSON.stringify({ text: 'Hello World!' }), { traceparent });
    expect(response.status).toBe(202);
    const { id } = (await response.json()) as { id: string };

    const [message] = await client.get(Topology.helloQueue, 1);
    expect(jsonOf(message)).toEqual({ text: 'Hello World!' });
    expect(message.properties).toMatchObject({
      messageId: id,
      correlationId: id,
      type: HELLO_MESSAGE_TYPE,
      contentType: 'application/json',
      appId: 'producer',
      deliveryMode: 2,
    });
    expect(typeof message.properties.timestamp).toBe('number');
    // The request's trace continued (no exporter: the platform's middleware; with one, the HTTP
    // instrumentation, checked on the apps as processes in tools/stack/src/observability.e2e.spec.ts).
    const [, traceId, spanId, flags] = String(message.properties.headers?.[MessageHeaders.traceparent]).split('-');
    expect({ traceId, flags }).toEqual({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', flags: '01' });
    expect(spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(spanId).not.toBe('00f067aa0ba902b7');
  });

  it('should have declared hello as a durable quorum queue', async () => {
    // A passive declare (what the tutorial could do instead of queue_declare('hello')) succeeds.
    await expect(client.channel.checkQueue(Topology.helloQueue)).resolves.toMatchObject({ queue: 'hello' });
  });

  it.each([
    ['no text', '{}', 'text'],
    ['an empty text', '{"text": ""}', 'text'],
    ['a text that is not a string', '{"text": 42}', 'text'],
    ['a body that is not an object', '["Hello"]', undefined],
  ])('should answer 400 naming the field for %s', async (_what, body, field) => {
    const response = await post(baseUrl, body);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      statusCode: 400,
      error: 'invalid-message',
      ...(field ? { field } : {}),
    });
  });

  it('should answer 400 for malformed JSON', async () => {
    expect((await post(baseUrl, '{"text": ')).status).toBe(400);
  });

  it('should answer 400 for a form-encoded body (JSON only)', async () => {
    const response = await fetch(`${baseUrl}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'text=hi',
    });
    expect(response.status).toBe(400);
  });

  it('should answer 413 for a text over MAX_MESSAGE_TEXT_BYTES, and accept one at the limit', async () => {
    const over = await post(baseUrl, JSON.stringify({ text: 'é'.repeat(MAX_MESSAGE_TEXT_BYTES / 2 + 1) }));
    expect(over.status).toBe(413);
    expect(await over.json()).toMatchObject({
      error: 'message-too-large',
      field: 'text',
    });
    const atLimit = await post(baseUrl, JSON.stringify({ text: 'é'.repeat(MAX_MESSAGE_TEXT_BYTES / 2) }));
    expect(atLimit.status).toBe(202);
    await client.get(Topology.helloQueue, 1);
  });

  it('should answer GET /health/ready with 200 while connected, naming what it checked', async () => {
    const response = await fetch(`${baseUrl}/health/ready`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      status: 'ok',
      info: { broker: { status: 'up' }, 'publisher:producer': { status: 'up' } },
      error: {},
      details: { broker: { status: 'up' }, 'publisher:producer': { status: 'up' } },
    });
    expect((await fetch(`${baseUrl}/health/live`)).status).toBe(200);
  });

  it('should count requests by route and status on GET /metrics', async () => {
    const labels = { method: 'POST', route: '/messages', status_code: '202' };
    const before = (await scrapeMetrics(baseUrl)).value('http_requests_total', labels);
    expect((await post(baseUrl, JSON.stringify({ text: 'counted' }))).status).toBe(202);
    expect((await post(baseUrl, 'not json')).status).toBe(400);
    const after = await scrapeMetrics(baseUrl);
    expect(after.value('http_requests_total', labels) - before).toBe(1);
    expect(after.value('http_requests_total', { route: '/messages', status_code: '400' })).toBeGreaterThanOrEqual(1);
    expect(
      after.value('amqp_messages_published_total', { exchange: '(default)', outcome: 'confirmed' }),
    ).toBeGreaterThanOrEqual(1);
    expect(after.value('http_request_duration_seconds_count', labels)).toBe(before + 1);
  });
});

describe('producer without a reachable broker', () => {
  let app: INestApplication;
  let baseUrl: string;

  beforeAll(async () => {
    const deadPort = await freePort();
    ({ app, baseUrl } = await startProducer({
      platform: testPlatformConfig(),
      httpPort: await freePort(),
      rabbitmqUrl: `amqp://guest:guest@127.0.0.1:${deadPort}`,
      publishTimeoutMs: 5_000,
      retryAfterSeconds: 7,
      rpcTimeoutMs: 5_000,
    }));
    // Start-up waits up to the publish timeout for the broker.
  }, 20_000);

  afterAll(async () => {
    await app?.close();
  });

  it('should start anyway and answer GET /health/ready with 503 naming the broker, while live', async () => {
    const response = await fetch(`${baseUrl}/health/ready`);
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({
      status: 'error',
      error: { broker: { status: 'down', reason: 'not connected to RabbitMQ' } },
    });
    expect((await fetch(`${baseUrl}/health/live`)).status).toBe(200);
    expect(response.headers.get('retry-after')).toBe(null);
  });

  it('should answer 503 at once while the broker is unreachable, with Retry-After, never 202', async () => {
    // The publish timeout is 5 s: each request must not wait for it.
    const latencies: number[] = [];
    for (let i = 0; i < 10; i++) {
      const started = performance.now();
      const response = await post(baseUrl, JSON.stringify({ text: 'lost?' }));
      latencies.push(performance.now() - started);
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe('7');
      const body = await response.json();
      expect(body).toMatchObject({ error: 'broker-unavailable' });
      expect(body.message).toMatch(
        /^not connected to RabbitMQ at amqp:\/\/guest:\*\*\*@127\.0\.0\.1:\d+ \(.*ECONNREFUSED.*\); reconnecting in the background, retry later$/,
      );
    }
    latencies.sort((a, b) => a - b);
    process.stdout.write(
      `503 latency while disconnected: median ${latencies[5].toFixed(1)} ms, max ${latencies[9].toFixed(1)} ms\n`,
    );
    expect(latencies[9]).toBeLessThan(1_000);
  });
});

describe('producer start-up against a hello queue declared by the tutorial', () => {
  it('should fail with an error naming the argument that differs', async () => {
    const vhost = await createTestVhost('producer-mismatch');
    const client = await AmqpTestClient.connect(vhost.url);
    try {
      // channel.queue_declare(queue='hello'): durable=False, no arguments.
      await client.channel.assertQueue(Topology.helloQueue, { durable: false });
      const config: ProducerConfig = {
        platform: testPlatformConfig(),
        httpPort: 0,
        rabbitmqUrl: vhost.url,
        publishTimeoutMs: 2_000,
        retryAfterSeconds: 5,
        rpcTimeoutMs: 5_000,
      };
      const app = await createProducerApp(config, { logger: false });
      // startProducerApp closes the app when it cannot start.
      const error = await startProducerApp(app, config).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ArgumentMismatchError);
      expect(error).toMatchObject({
        entityName: 'hello',
        argument: 'durable',
        expected: "'true'",
        actual: "'false'",
      });
    } finally {
      await client.close();
      await vhost.delete();
    }
  });
});

import { INestApplication } from '@nestjs/common';
import type { ConsumeMessage } from 'amqplib';
import { MessageHandledIntegrationEvent, Topology } from '@hello/contracts';
import {
  AmqpTestClient,
  createTestVhost,
  startOwnBroker,
  freePort,
  jsonOf,
  spawnApp,
  SpawnedApp,
  waitFor,
  testPlatformConfig,
} from '@hello/testing';
import { createProducerApp, startProducerApp } from '../src/producer.app';

// The whole path for real: HTTP → producer (this process) → RabbitMQ → consumer (a separate process
// running apps/consumer/src/main.ts) → `message.handled` effects on hello.events, read here.

interface Effect {
  readonly eventId: string;
  readonly messageId: string;
  readonly text: string;
}

async function startConsumer(rabbitmqUrl: string): Promise<SpawnedApp> {
  const consumer = spawnApp('apps/consumer/src/main.ts', {
    RABBITMQ_URL: rabbitmqUrl,
    CONSUMER_HTTP_PORT: String(await freePort()),
    CONSUMER_RETRY_DELAYS_MS: '100,200',
  });
  await consumer.waitForOutput(/consumer listening on HTTP port/);
  return consumer;
}

async function startProducer(
  rabbitmqUrl: string,
  publishTimeoutMs: number,
): Promise<{ app: INestApplication; baseUrl: string }> {
  const config = {
    platform: testPlatformConfig(),
    httpPort: 0,
    rabbitmqUrl,
    publishTimeoutMs,
    retryAfterSeconds: 1,
    rpcTimeoutMs: 5_000,
  };
  const { app, httpPort } = await startProducerApp(await createProducerApp(config, { logger: false }), config);
  return { app, baseUrl: `http://127.0.0.1:${httpPort}` };
}

async function postMessage(baseUrl: string, text: string): Promise<{ status: number; id?: string; ms: number }> {
  const started = Date.now();
  const response = await fetch(`${baseUrl}/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ text }),
  });
  const body = (await response.json()) as { id?: string };
  return { status: response.status, id: body.id, ms: Date.now() - started };
}

describe('producer to consumer', () => {
  // Run even when a test times out, so that no broker or process outlives the run.
  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  }, 60_000);

  it('should handle every message published over HTTP exactly once', async () => {
    const vhost = await createTestVhost('flow');
    const client = await AmqpTestClient.connect(vhost.url);
    await client.bindQueue('effects', Topology.eventsExchange, MessageHandledIntegrationEvent.routingKey);
    const effects = await client.collect('effects');
    const consumer = await startConsumer(vhost.url);
    const { app, baseUrl } = await startProducer(vhost.url, 5_000);
    try {
      const results = await Promise.all(Array.from({ length: 30 }, (_, n) => postMessage(baseUrl, `flow ${n}`)));
      expect(results.map((r) => r.status)).toEqual(Array(30).fill(202));
      const ids = results.map((r) => r.id as string);

      await waitFor(() => effects.length >= ids.length, {
        message: 'all 30 handled',
      });
      // A late second application of any message would land before this marker's effect.
      const marker = await postMessage(baseUrl, 'marker');
      await waitFor(() => effects.some((m) => jsonOf<Effect>(m).messageId === marker.id), {
        message: 'marker handled',
      });

      const handled = effects.map((m) => jsonOf<Effect>(m)).filter((e) => e.messageId !== marker.id);
      expect(handled.map((e) => e.messageId).sort()).toEqual([...ids].sort());
      for (const effect of handled) {
        expect(effect.eventId).toBe(MessageHandledIntegrationEvent.eventIdFor(effect.messageId));
        expect(effect.text).toBe(`flow ${ids.indexOf(effect.messageId)}`);
      }
      expect(consumer.output()).toContain(' [x] Received flow 0');
    } finally {
      await app.close();
      await consumer.stop();
      await client.close();
      await vhost.delete();
    }
  }, 60_000);

  it('should consume every message that got a 202 while the broker restarts under load', async () => {
    const broker = await startOwnBroker('restart');
    cleanups.push(() => broker.stop());
    const clients: AmqpTestClient[] = [];
    cleanups.push(() => Promise.all(clients.map((c) => c.close())));
    const collectEffects = async (): Promise<ConsumeMessage[]> => {
      const client = await AmqpTestClient.connect(broker.url);
      clients.push(client);
      await client.bindQueue('effects', Topology.eventsExchange, MessageHandledIntegrationEvent.routingKey);
      return client.collect('effects');
    };
    const beforeRestart = await collectEffects();
    const consumer = await startConsumer(broker.url);
    cleanups.push(() => consumer.stop());
    const producer = await startProducer(broker.url, 30_000);
    cleanups.push(() => producer.app.close());

    // Four senders post one message after the other until told to stop.
    const results: Array<{ status: number; id?: string; ms: number }> = [];
    let sending = true;
    let n = 0;
    const senders = Array.from({ length: 4 }, async () => {
      while (sending) results.push(await postMessage(producer.baseUrl, `load ${n++}`));
    });
    const accepted = () => results.filter((r) => r.status === 202).length;

    await waitFor(() => accepted() >= 50, {
      message: '50 accepted before the restart',
      timeoutMs: 20_000,
    });
    await broker.restart();
    const afterRestart = accepted();
    await waitFor(() => accepted() >= afterRestart + 50, {
      message: '50 more accepted after the restart',
      timeoutMs: 30_000,
    });
    sending = false;
    await Promise.all(senders);

    // Some requests were waiting through the outage and still ended in a confirmed 202.
    expect(results.some((r) => r.status === 202 && r.ms > 2_000)).toBe(true);
    expect(results.every((r) => r.status === 202 || r.status === 503)).toBe(true);

    const afterRestartEffects = await collectEffects();
    const acceptedIds = results.filter((r) => r.status === 202).map((r) => r.id as string);
    const handledIds = () =>
      new Set([...beforeRestart, ...afterRestartEffects].map((m) => jsonOf<Effect>(m).messageId));
    await waitFor(() => acceptedIds.every((id) => handledIds().has(id)), {
      message: `all ${acceptedIds.length} accepted messages handled`,
      timeoutMs: 30_000,
    });
  }, 120_000);
});

import type { ConsumeMessage } from 'amqplib';
import { HELLO_MESSAGE_TYPE, MessageHandledIntegrationEvent, Topology } from '@hello/contracts';
import { workQueueArguments } from '@hello/messaging';
import {
  AmqpTestClient,
  createTestVhost,
  freePort,
  jsonOf,
  spawnApp,
  SpawnedApp,
  TestVhost,
  waitFor,
} from '@hello/testing';

// The consumer as a separate process, killed for real. The process that gets killed runs
// test/support/slow-effects.main.ts (main.ts with each effect publish delayed by 50 ms, so that a full
// prefetch of messages is mid-handling at the kill); restarts run the real src/main.ts. The effects are
// `message.handled` events on hello.events, read here through a bound queue: what a downstream reader
// sees, after the process is gone.

const PREFETCH = 20;
const SLOW_CONSUMER = 'apps/consumer/test/support/slow-effects.main.ts';

interface Effect {
  readonly eventId: string;
  readonly messageId: string;
  readonly text: string;
}

describe('consumer process', () => {
  let vhost: TestVhost;
  let client: AmqpTestClient;
  let effects: ConsumeMessage[];
  const running: SpawnedApp[] = [];

  const startConsumer = async (entry = 'apps/consumer/src/main.ts'): Promise<SpawnedApp> => {
    const app = spawnApp(entry, {
      RABBITMQ_URL: vhost.url,
      CONSUMER_HTTP_PORT: String(await freePort()),
      CONSUMER_PREFETCH: String(PREFETCH),
      CONSUMER_RETRY_DELAYS_MS: '100,200',
      CONSUMER_DRAIN_TIMEOUT_MS: '10000',
      TEST_EFFECT_DELAY_MS: '50',
    });
    running.push(app);
    await app.waitForOutput(/consumer listening on HTTP port/);
    return app;
  };

  /** Publishes `count` JSON hello messages with ids `<prefix>-<n>`, all confirmed. */
  const publishBacklog = async (prefix: string, count: number): Promise<string[]> => {
    const ids = Array.from({ length: count }, (_, n) => `${prefix}-${n}`);
    for (const id of ids) {
      client.channel.publish('', Topology.helloQueue, Buffer.from(JSON.stringify({ text: `text of ${id}` })), {
        messageId: id,
        type: HELLO_MESSAGE_TYPE,
        contentType: 'application/json',
        persistent: true,
      });
    }
    await client.channel.waitForConfirms();
    return ids;
  };

  const effectsWithPrefix = (prefix: string) =>
    effects.map((m) => jsonOf<Effect>(m)).filter((e) => e.messageId.startsWith(`${prefix}-`));

  beforeEach(async () => {
    vhost = await createTestVhost('consumer-process');
    client = await AmqpTestClient.connect(vhost.url);
    // Declared as the consumer declares it, so that a backlog can wait for the consumer.
    await client.channel.assertQueue(Topology.helloQueue, {
      durable: true,
      arguments: workQueueArguments(Topology.helloQueue),
    });
    await client.bindQueue('effects', Topology.eventsExchange, MessageHandledIntegrationEvent.routingKey);
    effects = await client.collect('effects');
  });

  afterEach(async () => {
    await Promise.all(running.splice(0).map((app) => app.stop()));
    await client?.close();
    await vhost?.delete();
  });

  it('should handle every message, lose none and apply each effect once after de-dup, when killed (SIGKILL) mid-batch', async () => {
    const ids = await publishBacklog('crash', 600);
    const first = await startConsumer(SLOW_CONSUMER);
    await waitFor(() => effectsWithPrefix('crash').length >= 100, {
      message: '100 messages handled',
      timeoutMs: 20_000,
    });
    first.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    const handledBeforeKill = new Set(effectsWithPrefix('crash').map((e) => e.messageId)).size;
    expect(handledBeforeKill).toBeLessThan(ids.length); // the kill did land in the middle of the batch

    await startConsumer();
    await waitFor(() => new Set(effectsWithPrefix('crash').map((e) => e.messageId)).size === ids.length, {
      message: 'every message handled after the restart',
      timeoutMs: 30_000,
    });

    const all = effectsWithPrefix('crash');
    const byEffectId = new Map<string, Effect[]>();
    for (const effect of all) byEffectId.set(effect.eventId, [...(byEffectId.get(effect.eventId) ?? []), effect]);
    // Nothing lost: one effect id per message, derived from its id.
    expect([...byEffectId.keys()].sort()).toEqual(
      ids.map((id) => MessageHandledIntegrationEvent.eventIdFor(id)).sort(),
    );
    // Copies of an effect are the same effect (same id, message and text): de-dup on eventId applies it once.
    for (const copies of byEffectId.values()) {
      expect(new Set(copies.map((c) => `${c.messageId}|${c.text}`)).size).toBe(1);
    }
    // Only messages in flight at the kill (at most the prefetch) can have their effect published twice.
    expect(all.length - ids.length).toBeLessThanOrEqual(PREFETCH);
    expect((await client.channel.checkQueue(Topology.helloQueue)).messageCount).toBe(0);
  }, 90_000);

  it('should stop taking messages on SIGTERM, finish and ack the ones in flight, and exit 0', async () => {
    const ids = await publishBacklog('term', 600);
    const consumer = await startConsumer(SLOW_CONSUMER);
    await waitFor(() => effectsWithPrefix('term').length >= 100, {
      message: '100 messages handled',
      timeoutMs: 20_000,
    });
    consumer.kill('SIGTERM');
    const exit = await consumer.exited;
    expect(exit).toEqual({ code: 0, signal: null });
    // There was something in flight to finish, and it was settled after the consumer was cancelled.
    const drained = /in-flight messages drained \((\d+) settled since the cancel\)/.exec(consumer.output());
    expect(drained && Number(drained[1])).toBeGreaterThan(0);

    // Whatever was handled was also acked: none of it is back in the queue, and nothing is missing.
    await waitFor(async () => (await client.channel.checkQueue(Topology.helloQueue)).messageCount > 0, {
      message: 'unhandled messages back in the queue',
    });
    const handled = effectsWithPrefix('term').map((e) => e.messageId);
    const remaining = (await client.drain(Topology.helloQueue)).map((m) => String(m.properties.messageId));
    expect(new Set(handled).size).toBe(handled.length);
    expect(handled.filter((id) => remaining.includes(id))).toEqual([]);
    expect([...handled, ...remaining].sort()).toEqual([...ids].sort());
  }, 60_000);
});

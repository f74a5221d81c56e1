import { Metrics as PlatformMetrics } from '@hello/platform';
import { Client } from 'pg';
import { loadConfig } from '../config/event-handler.config';
import { EventHandlerMetrics } from '../health/event-handler-metrics';
import type { MessagePublisher, OutgoingMessage } from '../messaging/message-publisher';
import { ProjectionStore } from '../projections/projection-store';
import { createTestDatabaseLocation, DIALECTS, type TestDatabaseLocation } from '../../test/support/test-databases';
import { OutboxRelay } from './outbox-relay';
import type { OutboxMessage } from './outbox-store';

// Half of these tests create a PostgreSQL database first: on a loaded machine that alone can take
// a few seconds, more than Jest's default timeout.
jest.setTimeout(30_000);

/** Records what it is asked to publish; fails while `failuresLeft` > 0. */
class ScriptedPublisher implements MessagePublisher {
  readonly published: OutgoingMessage[] = [];
  failuresLeft = 0;
  calls = 0;
  private release: (() => void) | undefined;
  private gate: Promise<void> | undefined;

  hold(): void {
    this.gate = new Promise((resolve) => (this.release = resolve));
  }

  open(): void {
    this.release?.();
    this.gate = undefined;
  }

  async publish(message: OutgoingMessage): Promise<void> {
    this.calls += 1;
    if (this.gate) await this.gate;
    if (this.failuresLeft > 0) {
      this.failuresLeft -= 1;
      throw new Error('broker unreachable');
    }
    this.published.push(message);
  }
}

const welcome = (id: string): OutboxMessage => ({
  messageId: id,
  exchange: '',
  routingKey: 'hello',
  type: 'hello.message.v1',
  body: { text: `Welcome, ${id}!` },
  causeEventId: `cause-${id}`,
});

async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe.each(DIALECTS)('OutboxRelay on %s', (dialect) => {
  let test: TestDatabaseLocation;
  let store: ProjectionStore;
  let publisher: ScriptedPublisher;
  let relay: OutboxRelay;
  const config = loadConfig({ EVENT_HANDLER_OUTBOX_RETRY_MS: '20', EVENT_HANDLER_SHUTDOWN_GRACE_MS: '500' });

  const queue = async (...messages: OutboxMessage[]) => {
    for (const m of messages)
      await store.applyOnce(m.causeEventId, 'greeting.greeted.v1', (tx) => tx.addOutboxMessage(m));
  };

  beforeEach(async () => {
    test = await createTestDatabaseLocation(dialect, 'outbox');
    store = await ProjectionStore.open(test.location);
    publisher = new ScriptedPublisher();
    relay = new OutboxRelay(store.outbox, publisher, config, new EventHandlerMetrics(new PlatformMetrics()));
  });

  afterEach(async () => {
    await relay.beforeApplicationShutdown();
    await store.close();
    await test.dispose();
  });

  it('should publish a pending message with its id and mark it sent', async () => {
    await queue(welcome('a'));
    expect(await relay.send('a')).toBe(true);
    expect(publisher.published).toEqual([
      {
        exchange: '',
        routingKey: 'hello',
        body: { text: 'Welcome, a!' },
        messageId: 'a',
        type: 'hello.message.v1',
        correlationId: 'cause-a',
        mandatory: true,
      },
    ]);
    expect(await store.outbox.pending()).toEqual([]);
    // Sent already: a second send publishes nothing.
    expect(await relay.send('a')).toBe(true);
    expect(publisher.calls).toBe(1);
  });

  it('should share one publish between concurrent sends of the same message', async () => {
    await queue(welcome('a'));
    publisher.hold();
    const sends = [relay.send('a'), relay.send('a'), relay.send('a')];
    publisher.open();
    expect(await Promise.all(sends)).toEqual([true, true, true]);
    expect(publisher.calls).toBe(1);
  });

  it('should keep a failed message pending and retry it until the broker confirms', async () => {
    await queue(welcome('a'));
    publisher.failuresLeft = 2;
    expect(await relay.send('a')).toBe(false);
    expect(await store.outbox.pendingMessage('a')).toMatchObject({ attempts: 1 });
    await until(() => publisher.published.length === 1);
    expect(publisher.calls).toBe(3);
    expect(await store.outbox.pending()).toEqual([]);
  });

  it('should send what was left pending by a previous process at start-up, in order', async () => {
    await queue(welcome('a'), welcome('b'));
    relay.onApplicationBootstrap();
    await until(() => publisher.published.length === 2);
    expect(publisher.published.map((m) => m.messageId)).toEqual(['a', 'b']);
  });

  it('should stop sending once shutdown began, leaving messages pending', async () => {
    await queue(welcome('a'));
    await relay.beforeApplicationShutdown();
    expect(await relay.send('a')).toBe(false);
    expect(publisher.calls).toBe(0);
    expect(await store.outbox.pendingCount()).toBe(1);
  });
});

describe('two OutboxRelays on one PostgreSQL database (two replicas)', () => {
  let test: TestDatabaseLocation;
  const stores: ProjectionStore[] = [];
  const relays: OutboxRelay[] = [];
  const config = loadConfig({ EVENT_HANDLER_OUTBOX_RETRY_MS: '20', EVENT_HANDLER_SHUTDOWN_GRACE_MS: '500' });

  beforeEach(async () => {
    test = await createTestDatabaseLocation('postgres', 'outbox_replicas');
  });

  afterEach(async () => {
    for (const relay of relays.splice(0)) await relay.beforeApplicationShutdown();
    for (const store of stores.splice(0)) await store.close();
    await test.dispose();
  });

  const replica = async (publisher: MessagePublisher) => {
    const store = await ProjectionStore.open(test.location);
    const relay = new OutboxRelay(store.outbox, publisher, config, new EventHandlerMetrics(new PlatformMetrics()));
    stores.push(store);
    relays.push(relay);
    return { store, relay };
  };

  it('should publish each message once when both send it and both sweep', async () => {
    const publishers = [new ScriptedPublisher(), new ScriptedPublisher()];
    const [a, b] = [await replica(publishers[0]), await replica(publishers[1])];
    const ids = Array.from({ length: 40 }, (_, i) => `w${i}`);
    for (const id of ids) {
      await a.store.applyOnce(`cause-${id}`, 'greeting.greeted.v1', (tx) => tx.addOutboxMessage(welcome(id)));
    }
    // Slow confirms keep each row locked while the other replica tries it.
    publishers.forEach((p) => p.hold());
    const sends = ids.flatMap((id) => [a.relay.send(id), b.relay.send(id)]);
    a.relay.onApplicationBootstrap();
    b.relay.onApplicationBootstrap();
    await new Promise((resolve) => setTimeout(resolve, 100));
    publishers.forEach((p) => p.open());
    await Promise.all(sends);
    await until(async () => (await a.store.outbox.pendingCount()) === 0);

    const published = publishers.flatMap((p) => p.published.map((m) => m.messageId));
    expect(published.sort()).toEqual([...ids].sort());
    expect(new Set(published).size).toBe(ids.length);
    // Both replicas took part.
    expect(publishers.every((p) => p.published.length > 0)).toBe(true);
  });

  it('should send what a replica left pending when it died while publishing', async () => {
    const stuck = new ScriptedPublisher();
    const healthy = new ScriptedPublisher();
    const dying = await replica(stuck);
    await dying.store.applyOnce('cause-x', 'greeting.greeted.v1', (tx) => tx.addOutboxMessage(welcome('x')));
    stuck.hold();
    void dying.relay.send('x');
    await until(() => stuck.calls === 1);
    const survivor = await replica(healthy);
    survivor.relay.onApplicationBootstrap();
    // The row is locked by the dying replica: the survivor skips it, publishing nothing.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(healthy.published).toEqual([]);

    // Its connection ends (the process died): the lock goes with its transaction. The dying replica's
    // is the connection idle in a transaction for the last 200 ms, waiting for its confirm (the
    // survivor's sweeps are idle in theirs only for a moment between statements).
    await terminateIdleInTransaction(test.location.databaseUrl as string);
    await until(() => healthy.published.length === 1);
    expect(healthy.published.map((m) => m.messageId)).toEqual(['x']);
    expect(await survivor.store.outbox.pendingCount()).toBe(0);
    stuck.open();
  });
});

async function terminateIdleInTransaction(url: string): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const { rowCount } = await client.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE datname = current_database() AND state = 'idle in transaction' AND pid <> pg_backend_pid()
          AND clock_timestamp() - xact_start > interval '150 milliseconds'`,
    );
    expect(rowCount).toBe(1);
  } finally {
    await client.end();
  }
}

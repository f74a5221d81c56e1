import Database from 'better-sqlite3';
import { Kysely } from 'kysely';
import { join } from 'node:path';
import { DATABASE_FILE, type DatabaseLocation, EventHandlerDatabase } from '../database/event-handler-database';
import { OutboxStore } from '../outbox/outbox-store';
import { createTestDatabaseLocation, DIALECTS, type TestDatabaseLocation } from '../../test/support/test-databases';
import { ProjectionStore, RECENT_MESSAGES } from './projection-store';

// Half of these tests create a PostgreSQL database first: on a loaded machine that alone can take
// a few seconds, more than Jest's default timeout.
jest.setTimeout(30_000);

describe.each(DIALECTS)('ProjectionStore on %s', (dialect) => {
  let test: TestDatabaseLocation;
  let location: DatabaseLocation;
  let database: EventHandlerDatabase;
  let store: ProjectionStore;

  beforeEach(async () => {
    test = await createTestDatabaseLocation(dialect, 'store');
    location = { ...test.location, dataDir: join(test.location.dataDir, 'nested') };
    database = await EventHandlerDatabase.open(location);
    store = new ProjectionStore(database, new OutboxStore(database));
  });

  afterEach(async () => {
    await store.close();
    await test.dispose();
  });

  const hasApplied = async (eventId: string): Promise<boolean> =>
    (await database.db.selectFrom('inbox').select('event_id').where('event_id', '=', eventId).executeTakeFirst()) !==
    undefined;

  const greet = (eventId: string, name: string, at: string, on = store) =>
    on.applyOnce(eventId, 'greeting.greeted.v1', (tx) => tx.countGreeting(name, at));

  it(`should run on ${dialect} and answer a ping`, async () => {
    expect(store.dialect).toBe(dialect);
    await expect(store.ping()).resolves.toBeUndefined();
    await store.close();
    await expect(store.ping()).rejects.toThrow(/closed/);
  });

  it('should count the same event twice only once', async () => {
    expect(await greet('e1', 'world', '2024-01-01T00:00:00.000Z')).toEqual({ applied: true, value: 1 });
    expect(await greet('e1', 'world', '2024-01-01T00:00:00.000Z')).toEqual({ applied: false });
    expect(await greet('e2', 'world', '2024-01-02T00:00:00.000Z')).toEqual({ applied: true, value: 2 });
    expect(await store.greeting('world')).toEqual({
      name: 'world',
      count: 2,
      firstGreetedAt: '2024-01-01T00:00:00.000Z',
      lastGreetedAt: '2024-01-02T00:00:00.000Z',
    });
    expect(await hasApplied('e1')).toBe(true);
    expect((await store.stats()).eventsApplied).toBe(2);
  });

  it('should leave the same tables after a batch as after the same events one by one (the values each call saw too)', async () => {
    // Names, lines and handled messages mixed, an event twice in a batch, one applied before, and
    // handled times out of order (the recent messages are the newest by time, not by arrival).
    const events = Array.from({ length: 700 }, (_, i) => {
      const kind = i % 3;
      const eventId = kind === 2 && i % 10 === 2 ? `e${i - 3}` : `e${i}`;
      return { eventId, kind, i };
    });
    const other = await createTestDatabaseLocation(dialect, 'store_batch');
    const otherDatabase = await EventHandlerDatabase.open(other.location);
    const batched = new ProjectionStore(otherDatabase, new OutboxStore(otherDatabase));
    try {
      const seen = { one: [] as unknown[], batch: [] as unknown[] };
      const project =
        (into: unknown[], e: { eventId: string; kind: number; i: number }) =>
        async (tx: Parameters<Parameters<ProjectionStore['applyOnce']>[2]>[0]) => {
          if (e.kind === 0)
            into.push(
              await tx.countGreeting(`n${e.i % 37}`, `2024-01-01T00:00:${String(e.i % 60).padStart(2, '0')}.000Z`),
            );
          else if (e.kind === 1) into.push(await tx.countLine());
          else
            await tx.recordHandledMessage(e.eventId, {
              messageId: `m${e.i}`,
              text: `t${e.i}`,
              handledAt: `2024-01-01T00:${String((e.i * 7) % 60).padStart(2, '0')}:00.000Z`,
            });
        };
      await store.applyOnce('e0', 'kind0', project(seen.one, events[0] as (typeof events)[0]));
      await batched.applyOnce('e0', 'kind0', project(seen.batch, events[0] as (typeof events)[0]));
      for (const e of events) await store.applyOnce(e.eventId, `kind${e.kind}`, project(seen.one, e));
      for (let i = 0; i < events.length; i += 250) {
        await batched.applyBatch(
          events
            .slice(i, i + 250)
            .map((e) => ({ eventId: e.eventId, type: `kind${e.kind}`, project: project(seen.batch, e) })),
        );
      }
      expect(seen.batch).toEqual(seen.one);
      const one = await store.stats();
      expect(one.messages.last).toHaveLength(RECENT_MESSAGES);
      expect(await batched.stats()).toEqual(one);
      const greetings = (db: EventHandlerDatabase) =>
        db.db.selectFrom('greetings').selectAll().orderBy('name').execute();
      expect(await greetings(otherDatabase)).toEqual(await greetings(database));
    } finally {
      await batched.close();
      await other.dispose();
    }
  });

  it('should keep the earliest and latest times when greetings arrive out of order', async () => {
    await greet('e1', 'world', '2024-01-02T00:00:00.000Z');
    await greet('e2', 'world', '2024-01-01T00:00:00.000Z');
    await greet('e3', 'world', '2024-01-03T00:00:00.000Z');
    expect(await store.greeting('world')).toMatchObject({
      count: 3,
      firstGreetedAt: '2024-01-01T00:00:00.000Z',
      lastGreetedAt: '2024-01-03T00:00:00.000Z',
    });
  });

  it('should write nothing, not even the inbox row, when the projector throws', async () => {
    await expect(
      store.applyOnce('e1', 'greeting.greeted.v1', async (tx) => {
        await tx.countGreeting('world', '2024-01-01T00:00:00.000Z');
        await tx.addOutboxMessage({
          messageId: 'm1',
          exchange: '',
          routingKey: 'hello',
          type: 'hello.message.v1',
          body: { text: 'Welcome, world!' },
          causeEventId: 'e1',
        });
        throw new Error('disk on fire');
      }),
    ).rejects.toThrow('disk on fire');
    expect(await store.greeting('world')).toBeUndefined();
    expect(await hasApplied('e1')).toBe(false);
    expect(await store.outbox.pending()).toEqual([]);
    // The event can be applied on a later try.
    expect(await greet('e1', 'world', '2024-01-01T00:00:00.000Z')).toEqual({ applied: true, value: 1 });
  });

  it(`should keep the message count and only the ${RECENT_MESSAGES} latest messages`, async () => {
    for (let i = 1; i <= 12; i += 1) {
      await store.applyOnce(`m${i}`, 'message.handled.v1', (tx) =>
        tx.recordHandledMessage(`m${i}`, {
          messageId: `id-${i}`,
          text: `text ${i}`,
          handledAt: new Date(Date.UTC(2024, 0, 1, 0, 0, i)).toISOString(),
        }),
      );
    }
    const { messages } = await store.stats();
    expect(messages.handled).toBe(12);
    expect(messages.last.map((m) => m.messageId)).toEqual([12, 11, 10, 9, 8, 7, 6, 5, 4, 3].map((i) => `id-${i}`));
  });

  it('should keep everything after the database is closed and reopened', async () => {
    await greet('e1', 'world', '2024-01-01T00:00:00.000Z');
    await greet('e2', 'mesh', '2024-01-01T00:00:01.000Z');
    await store.applyOnce('l1', 'line.received.v1', (tx) => tx.countLine());
    await store.applyOnce('m1', 'message.handled.v1', (tx) =>
      tx.recordHandledMessage('m1', { messageId: 'id', text: 'hi', handledAt: '2024-01-01T00:00:02.000Z' }),
    );
    await store.applyOnce('e3', 'greeting.greeted.v1', (tx) =>
      tx.addOutboxMessage({
        messageId: 'w1',
        exchange: '',
        routingKey: 'hello',
        type: 'hello.message.v1',
        body: { text: 'Welcome, mesh!' },
        causeEventId: 'e3',
      }),
    );
    const before = await store.stats();
    await store.close();
    expect(store.isOpen).toBe(false);

    store = await ProjectionStore.open(location);
    expect(await store.stats()).toEqual(before);
    expect(before).toMatchObject({
      greetings: { total: 2, names: 2 },
      messages: { handled: 1 },
      lines: { received: 1 },
      eventsApplied: 5,
      outbox: { pending: 1, sent: 0 },
    });
    // The inbox survives too: a redelivery after a restart is still recognised.
    expect(await greet('e1', 'world', '2024-01-01T00:00:00.000Z')).toEqual({ applied: false });
    expect(await store.outbox.pending()).toEqual([
      expect.objectContaining({ messageId: 'w1', body: { text: 'Welcome, mesh!' }, attempts: 0 }),
    ]);
  });

  it('should track outbox messages until they are marked sent', async () => {
    const welcome = {
      messageId: 'w1',
      exchange: '',
      routingKey: 'hello',
      type: 'hello.message.v1',
      body: { text: 'Welcome, world!' },
      causeEventId: 'e1',
    };
    await store.applyOnce('e1', 'greeting.greeted.v1', (tx) => tx.addOutboxMessage(welcome));
    expect(await store.outbox.pendingMessage('w1')).toMatchObject(welcome);
    await store.outbox.markFailed('w1', 'broker unreachable');
    expect((await store.outbox.pendingMessage('w1'))?.attempts).toBe(1);
    await store.outbox.markSent('w1');
    expect(await store.outbox.pendingMessage('w1')).toBeUndefined();
    expect(await store.outbox.pending()).toEqual([]);
    expect((await store.stats()).outbox).toEqual({ pending: 0, sent: 1 });
  });

  it('should list names most recently greeted first', async () => {
    await greet('e1', 'a', '2024-01-01T00:00:00.000Z');
    await greet('e2', 'b', '2024-01-03T00:00:00.000Z');
    await greet('e3', 'c', '2024-01-02T00:00:00.000Z');
    expect((await store.stats()).greetings.byName.map((g) => g.name)).toEqual(['b', 'c', 'a']);
  });

  it('should prune inbox entries older than the retention and keep counting them as applied', async () => {
    await greet('old', 'world', '2024-01-01T00:00:00.000Z');
    const cutoff = new Date(Date.now() + 1);
    await new Promise((resolve) => setTimeout(resolve, 5));
    await greet('new', 'world', '2024-01-02T00:00:00.000Z');

    expect(await store.pruneInbox(cutoff)).toBe(1);
    expect(await store.pruneInbox(cutoff)).toBe(0);
    expect(await hasApplied('old')).toBe(false);
    expect(await hasApplied('new')).toBe(true);
    expect(await store.stats()).toMatchObject({ eventsApplied: 2, greetings: { total: 2 } });
    // Past the retention an event id is forgotten: the de-duplication window is the retention.
    expect(await greet('old', 'world', '2024-01-01T00:00:00.000Z')).toEqual({ applied: true, value: 3 });
    expect((await store.stats()).eventsApplied).toBe(3);
  });

  // On PostgreSQL two stores stand for two replicas; a SQLite file serves one process, whose
  // store takes events concurrently too (the AMQP prefetch).
  const concurrently = dialect === 'postgres' ? 'two stores on one database apply' : 'one store applies';
  it(`should count exactly when ${concurrently} events at the same time, each delivered twice`, async () => {
    const other = dialect === 'postgres' ? await ProjectionStore.open(location) : store;
    try {
      const stores = [store, other];
      const applies: Promise<unknown>[] = [];
      for (let i = 0; i < 100; i += 1) {
        const on = stores[i % 2];
        applies.push(greet(`g${i}`, 'world', new Date(Date.UTC(2024, 0, 1, 0, 0, i)).toISOString(), on));
        // Every event delivered to both: each must count once.
        applies.push(on.applyOnce(`l${i}`, 'line.received.v1', (tx) => tx.countLine()));
        applies.push(stores[(i + 1) % 2].applyOnce(`l${i}`, 'line.received.v1', (tx) => tx.countLine()));
      }
      const results = await Promise.all(applies);
      expect(results.filter((r) => (r as { applied: boolean }).applied)).toHaveLength(200);
      expect(await store.stats()).toMatchObject({
        greetings: { total: 100, names: 1 },
        lines: { received: 100 },
        eventsApplied: 200,
      });
      expect(await other.greeting('world')).toMatchObject({
        count: 100,
        firstGreetedAt: '2024-01-01T00:00:00.000Z',
        lastGreetedAt: '2024-01-01T00:01:39.000Z',
      });
    } finally {
      if (other !== store) await other.close();
    }
  });

  it('should refuse a database of a newer schema instead of guessing', async () => {
    await store.close();
    const database = await EventHandlerDatabase.open(location);
    await (database.db as unknown as Kysely<{ kysely_migration: { name: string; timestamp: string } }>)
      .insertInto('kysely_migration')
      .values({ name: '0099_from_a_newer_build', timestamp: new Date().toISOString() })
      .execute();
    await database.close();
    await expect(ProjectionStore.open(location)).rejects.toThrow(/schema version 0099/);
    const fresh = await createTestDatabaseLocation(dialect, 'store_other');
    try {
      store = await ProjectionStore.open(fresh.location);
      await store.close();
    } finally {
      await fresh.dispose();
    }
  });
});

describe('ProjectionStore on a SQLite file', () => {
  let test: TestDatabaseLocation;

  beforeEach(async () => {
    test = await createTestDatabaseLocation('sqlite', 'store');
  });

  afterEach(async () => {
    await test.dispose();
  });

  it('should open the database in WAL mode with full sync', async () => {
    const store = await ProjectionStore.open(test.location);
    try {
      const raw = new Database(join(test.location.dataDir, DATABASE_FILE), { readonly: true });
      try {
        expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
      } finally {
        raw.close();
      }
    } finally {
      await store.close();
    }
  });

  it('should adopt a file written before migrations existed, keeping its data', async () => {
    // The schema as the first release created it, marked with user_version 1.
    const raw = new Database(join(test.location.dataDir, DATABASE_FILE));
    raw.exec(`
      CREATE TABLE inbox (event_id TEXT PRIMARY KEY, type TEXT NOT NULL, applied_at TEXT NOT NULL) WITHOUT ROWID;
      CREATE TABLE greetings (name TEXT PRIMARY KEY, count INTEGER NOT NULL, first_greeted_at TEXT NOT NULL,
        last_greeted_at TEXT NOT NULL) WITHOUT ROWID;
      CREATE INDEX greetings_by_last ON greetings (last_greeted_at);
      CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
      CREATE TABLE recent_messages (event_id TEXT PRIMARY KEY, message_id TEXT NOT NULL, text TEXT NOT NULL,
        handled_at TEXT NOT NULL, seq INTEGER NOT NULL);
      CREATE TABLE outbox (message_id TEXT PRIMARY KEY, exchange TEXT NOT NULL, routing_key TEXT NOT NULL,
        type TEXT NOT NULL, body TEXT NOT NULL, cause_event_id TEXT NOT NULL, created_at TEXT NOT NULL, sent_at TEXT,
        attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT);
      CREATE INDEX outbox_pending ON outbox (created_at) WHERE sent_at IS NULL;
      INSERT INTO inbox VALUES ('e1', 'greeting.greeted.v1', '2024-01-01T00:00:00.000Z');
      INSERT INTO greetings VALUES ('world', 1, '2024-01-01T00:00:00.000Z', '2024-01-01T00:00:00.000Z');
      PRAGMA user_version = 1;
    `);
    raw.close();

    const store = await ProjectionStore.open(test.location);
    try {
      expect(await store.greeting('world')).toMatchObject({ count: 1 });
      expect(
        await store.applyOnce('e1', 'greeting.greeted.v1', (tx) =>
          tx.countGreeting('world', '2024-01-01T00:00:00.000Z'),
        ),
      ).toEqual({ applied: false });
      expect(
        await store.applyOnce('e2', 'greeting.greeted.v1', (tx) =>
          tx.countGreeting('world', '2024-01-02T00:00:00.000Z'),
        ),
      ).toEqual({ applied: true, value: 2 });
    } finally {
      await store.close();
    }
  });
});

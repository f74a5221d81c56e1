import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DATABASE_FILE, ProjectionStore, RECENT_MESSAGES } from './projection-store';

describe('ProjectionStore', () => {
  let dataDir: string;
  let store: ProjectionStore;

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'event-handler-store-'));
    store = ProjectionStore.open(join(dataDir, 'nested'));
  });

  afterEach(() => {
    store.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const greet = (eventId: string, name: string, at: string) =>
    store.applyOnce(eventId, 'greeting.greeted.v1', (tx) => tx.countGreeting(name, at));

  it('should open the database in WAL mode with full sync', () => {
    const raw = new Database(join(dataDir, 'nested', DATABASE_FILE), { readonly: true });
    try {
      expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      raw.close();
    }
  });

  it('should count the same event twice only once', () => {
    expect(greet('e1', 'world', '2024-01-01T00:00:00.000Z')).toEqual({ applied: true, value: 1 });
    expect(greet('e1', 'world', '2024-01-01T00:00:00.000Z')).toEqual({ applied: false });
    expect(greet('e2', 'world', '2024-01-02T00:00:00.000Z')).toEqual({ applied: true, value: 2 });
    expect(store.greeting('world')).toEqual({
      name: 'world',
      count: 2,
      firstGreetedAt: '2024-01-01T00:00:00.000Z',
      lastGreetedAt: '2024-01-02T00:00:00.000Z',
    });
    expect(store.hasApplied('e1')).toBe(true);
    expect(store.stats().eventsApplied).toBe(2);
  });

  it('should keep the earliest and latest times when greetings arrive out of order', () => {
    greet('e1', 'world', '2024-01-02T00:00:00.000Z');
    greet('e2', 'world', '2024-01-01T00:00:00.000Z');
    greet('e3', 'world', '2024-01-03T00:00:00.000Z');
    expect(store.greeting('world')).toMatchObject({
      count: 3,
      firstGreetedAt: '2024-01-01T00:00:00.000Z',
      lastGreetedAt: '2024-01-03T00:00:00.000Z',
    });
  });

  it('should write nothing, not even the inbox row, when the projector throws', () => {
    expect(() =>
      store.applyOnce('e1', 'greeting.greeted.v1', (tx) => {
        tx.countGreeting('world', '2024-01-01T00:00:00.000Z');
        tx.addOutboxMessage({
          messageId: 'm1',
          exchange: '',
          routingKey: 'hello',
          type: 'hello.message.v1',
          body: { text: 'Welcome, world!' },
          causeEventId: 'e1',
        });
        throw new Error('disk on fire');
      }),
    ).toThrow('disk on fire');
    expect(store.greeting('world')).toBeUndefined();
    expect(store.hasApplied('e1')).toBe(false);
    expect(store.pendingOutboxMessages()).toEqual([]);
    // The event can be applied on a later try.
    expect(greet('e1', 'world', '2024-01-01T00:00:00.000Z')).toEqual({ applied: true, value: 1 });
  });

  it(`should keep the message count and only the ${RECENT_MESSAGES} latest messages`, () => {
    for (let i = 1; i <= 12; i += 1) {
      store.applyOnce(`m${i}`, 'message.handled.v1', (tx) =>
        tx.recordHandledMessage(`m${i}`, {
          messageId: `id-${i}`,
          text: `text ${i}`,
          handledAt: new Date(Date.UTC(2024, 0, 1, 0, 0, i)).toISOString(),
        }),
      );
    }
    const { messages } = store.stats();
    expect(messages.handled).toBe(12);
    expect(messages.last.map((m) => m.messageId)).toEqual(
      [12, 11, 10, 9, 8, 7, 6, 5, 4, 3].map((i) => `id-${i}`),
    );
  });

  it('should keep everything after the file is closed and reopened', () => {
    greet('e1', 'world', '2024-01-01T00:00:00.000Z');
    greet('e2', 'mesh', '2024-01-01T00:00:01.000Z');
    store.applyOnce('l1', 'line.received.v1', (tx) => tx.countLine());
    store.applyOnce('m1', 'message.handled.v1', (tx) =>
      tx.recordHandledMessage('m1', { messageId: 'id', text: 'hi', handledAt: '2024-01-01T00:00:02.000Z' }),
    );
    store.applyOnce('e3', 'greeting.greeted.v1', (tx) =>
      tx.addOutboxMessage({
        messageId: 'w1',
        exchange: '',
        routingKey: 'hello',
        type: 'hello.message.v1',
        body: { text: 'Welcome, mesh!' },
        causeEventId: 'e3',
      }),
    );
    const before = store.stats();
    store.close();
    expect(store.isOpen).toBe(false);

    store = ProjectionStore.open(join(dataDir, 'nested'));
    expect(store.stats()).toEqual(before);
    expect(before).toMatchObject({
      greetings: { total: 2, names: 2 },
      messages: { handled: 1 },
      lines: { received: 1 },
      eventsApplied: 5,
      outbox: { pending: 1, sent: 0 },
    });
    // The inbox survives too: a redelivery after a restart is still recognised.
    expect(greet('e1', 'world', '2024-01-01T00:00:00.000Z')).toEqual({ applied: false });
    expect(store.pendingOutboxMessages()).toEqual([
      expect.objectContaining({ messageId: 'w1', body: { text: 'Welcome, mesh!' }, attempts: 0 }),
    ]);
  });

  it('should track outbox messages until they are marked sent', () => {
    const welcome = {
      messageId: 'w1',
      exchange: '',
      routingKey: 'hello',
      type: 'hello.message.v1',
      body: { text: 'Welcome, world!' },
      causeEventId: 'e1',
    };
    store.applyOnce('e1', 'greeting.greeted.v1', (tx) => tx.addOutboxMessage(welcome));
    expect(store.pendingOutboxMessage('w1')).toMatchObject(welcome);
    store.markOutboxFailed('w1', 'broker unreachable');
    expect(store.pendingOutboxMessage('w1')?.attempts).toBe(1);
    store.markOutboxSent('w1');
    expect(store.pendingOutboxMessage('w1')).toBeUndefined();
    expect(store.pendingOutboxMessages()).toEqual([]);
    expect(store.stats().outbox).toEqual({ pending: 0, sent: 1 });
  });

  it('should list names most recently greeted first', () => {
    greet('e1', 'a', '2024-01-01T00:00:00.000Z');
    greet('e2', 'b', '2024-01-03T00:00:00.000Z');
    greet('e3', 'c', '2024-01-02T00:00:00.000Z');
    expect(store.stats().greetings.byName.map((g) => g.name)).toEqual(['b', 'c', 'a']);
  });

  it('should refuse a database of a newer schema instead of guessing', () => {
    store.close();
    const raw = new Database(join(dataDir, 'nested', DATABASE_FILE));
    raw.pragma('user_version = 99');
    raw.close();
    expect(() => ProjectionStore.open(join(dataDir, 'nested'))).toThrow(/schema version 99/);
    store = ProjectionStore.open(join(dataDir, 'other'));
  });
});

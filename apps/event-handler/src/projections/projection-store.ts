import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

/** File name of the projection database inside the data folder. */
export const DATABASE_FILE = 'projections.sqlite';
/** How many handled messages the messages projection keeps. */
export const RECENT_MESSAGES = 10;
/** How many names `stats()` lists (the most recently greeted); `greeting(name)` reads any. */
export const STATS_NAMES_LIMIT = 100;

export interface GreetingProjection {
  readonly name: string;
  readonly count: number;
  readonly firstGreetedAt: string;
  readonly lastGreetedAt: string;
}

export interface HandledMessage {
  readonly messageId: string;
  readonly text: string;
  readonly handledAt: string;
}

export interface Stats {
  readonly greetings: {
    /** Greetings counted, all names together. */
    readonly total: number;
    /** Distinct names greeted. */
    readonly names: number;
    /** The most recently greeted names (at most STATS_NAMES_LIMIT). */
    readonly byName: readonly GreetingProjection[];
  };
  readonly messages: { readonly handled: number; readonly last: readonly HandledMessage[] };
  readonly lines: { readonly received: number };
  /** Integration events applied (each event id once). */
  readonly eventsApplied: number;
  readonly outbox: { readonly pending: number; readonly sent: number };
}

/** A message to publish once the transaction that wrote it has committed. */
export interface OutboxMessage {
  readonly messageId: string;
  readonly exchange: string;
  readonly routingKey: string;
  readonly type: string;
  readonly body: object;
  /** The event whose projection wrote this message. */
  readonly causeEventId: string;
}

export interface PendingOutboxMessage extends OutboxMessage {
  readonly attempts: number;
  readonly createdAt: string;
}

/** The writes a projector may make; only valid inside `ProjectionStore.applyOnce`. */
export interface ProjectionTransaction {
  /** Counts one greeting of `name` at `greetedAt`; returns the count after it. */
  countGreeting(name: string, greetedAt: string): number;
  recordHandledMessage(eventId: string, message: HandledMessage): void;
  countLine(): number;
  addOutboxMessage(message: OutboxMessage): void;
}

export type ApplyResult<T> = { readonly applied: true; readonly value: T } | { readonly applied: false };

const SCHEMA_VERSION = 1;

const SCHEMA = `
  CREATE TABLE inbox (
    event_id TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    applied_at TEXT NOT NULL
  ) WITHOUT ROWID;
  CREATE TABLE greetings (
    name TEXT PRIMARY KEY,
    count INTEGER NOT NULL,
    first_greeted_at TEXT NOT NULL,
    last_greeted_at TEXT NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX greetings_by_last ON greetings (last_greeted_at);
  CREATE TABLE counters (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE TABLE recent_messages (
    event_id TEXT PRIMARY KEY,
    message_id TEXT NOT NULL,
    text TEXT NOT NULL,
    handled_at TEXT NOT NULL,
    seq INTEGER NOT NULL
  );
  CREATE TABLE outbox (
    message_id TEXT PRIMARY KEY,
    exchange TEXT NOT NULL,
    routing_key TEXT NOT NULL,
    type TEXT NOT NULL,
    body TEXT NOT NULL,
    cause_event_id TEXT NOT NULL,
    created_at TEXT NOT NULL,
    sent_at TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT
  );
  CREATE INDEX outbox_pending ON outbox (created_at) WHERE sent_at IS NULL;
`;

/**
 * The event-handler's read models and its inbox and outbox, in one SQLite file (WAL mode,
 * synchronous=FULL: a committed transaction survives a crash of the process and of the host).
 *
 * Every integration event is applied through `applyOnce`: the event id goes into the inbox and
 * the projector's writes happen in the same transaction, so an event delivered twice changes the
 * projections once, and an event is either fully applied or not at all.
 */
export class ProjectionStore {
  private readonly db: Database.Database;
  private readonly statements: ReturnType<ProjectionStore['prepare']>;
  private closed = false;

  private constructor(readonly file: string) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('foreign_keys = ON');
    // Another process holding the write lock (a backup, an operator's sqlite3 shell) is waited
    // for instead of failing the event at once.
    this.db.pragma('busy_timeout = 5000');
    this.migrate();
    this.statements = this.prepare();
  }

  /** Opens (creating when needed) the database in `dataDir`. */
  static open(dataDir: string): ProjectionStore {
    mkdirSync(dataDir, { recursive: true });
    return new ProjectionStore(join(dataDir, DATABASE_FILE));
  }

  get isOpen(): boolean {
    return !this.closed && this.db.open;
  }

  /**
   * Runs `project` and records `eventId` in the inbox in one transaction, unless the inbox
   * already holds `eventId`: then nothing is written and `{ applied: false }` comes back.
   * If `project` throws, nothing is written and the error propagates.
   */
  applyOnce<T>(eventId: string, type: string, project: (tx: ProjectionTransaction) => T): ApplyResult<T> {
    return this.db
      .transaction((): ApplyResult<T> => {
        const inserted = this.statements.recordInInbox.run(eventId, type, new Date().toISOString());
        if (inserted.changes === 0) return { applied: false };
        return { applied: true, value: project(this.transaction) };
      })
      .immediate();
  }

  hasApplied(eventId: string): boolean {
    return this.statements.inboxHas.get(eventId) !== undefined;
  }

  stats(): Stats {
    const s = this.statements;
    const greetingTotals = s.greetingTotals.get() as { total: number | null; names: number };
    const outbox = s.outboxTotals.get() as { pending: number | null; sent: number | null };
    return {
      greetings: {
        total: greetingTotals.total ?? 0,
        names: greetingTotals.names,
        byName: (s.recentGreetings.all(STATS_NAMES_LIMIT) as GreetingRow[]).map(toGreeting),
      },
      messages: {
        handled: this.counter('messages_handled'),
        last: (s.recentMessages.all() as MessageRow[]).map(toMessage),
      },
      lines: { received: this.counter('lines_received') },
      eventsApplied: (s.inboxCount.get() as { n: number }).n,
      outbox: { pending: outbox.pending ?? 0, sent: outbox.sent ?? 0 },
    };
  }

  greeting(name: string): GreetingProjection | undefined {
    const row = this.statements.greetingByName.get(name) as GreetingRow | undefined;
    return row && toGreeting(row);
  }

  /** Outbox messages not yet confirmed by the broker, oldest first. */
  pendingOutboxMessages(): PendingOutboxMessage[] {
    return (this.statements.pendingOutbox.all() as OutboxRow[]).map(toOutboxMessage);
  }

  pendingOutboxCount(): number {
    return (this.statements.outboxTotals.get() as { pending: number | null }).pending ?? 0;
  }

  /** The outbox message with this id if it is still unsent. */
  pendingOutboxMessage(messageId: string): PendingOutboxMessage | undefined {
    const row = this.statements.pendingOutboxById.get(messageId) as OutboxRow | undefined;
    return row && toOutboxMessage(row);
  }

  markOutboxSent(messageId: string, sentAt: Date = new Date()): void {
    this.statements.markSent.run(sentAt.toISOString(), messageId);
  }

  markOutboxFailed(messageId: string, error: string): void {
    this.statements.markFailed.run(error.slice(0, 1000), messageId);
  }

  /** Nest calls this after the transports have closed: nothing writes any more. */
  onApplicationShutdown(): void {
    this.close();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }

  private counter(name: string): number {
    return (this.statements.counter.get(name) as { value: number } | undefined)?.value ?? 0;
  }

  private readonly transaction: ProjectionTransaction = {
    countGreeting: (name, greetedAt) =>
      (this.statements.countGreeting.get(name, greetedAt, greetedAt) as { count: number }).count,
    recordHandledMessage: (eventId, message) => {
      this.statements.incrementCounter.run('messages_handled');
      this.statements.insertRecentMessage.run(
        eventId,
        message.messageId,
        message.text,
        message.handledAt,
      );
      this.statements.trimRecentMessages.run(RECENT_MESSAGES);
    },
    countLine: () =>
      (this.statements.incrementCounter.get('lines_received') as { value: number }).value,
    addOutboxMessage: (message) => {
      this.statements.insertOutbox.run(
        message.messageId,
        message.exchange,
        message.routingKey,
        message.type,
        JSON.stringify(message.body),
        message.causeEventId,
        new Date().toISOString(),
      );
    },
  };

  private migrate(): void {
    const version = this.db.pragma('user_version', { simple: true }) as number;
    if (version === SCHEMA_VERSION) return;
    if (version !== 0) {
      throw new Error(
        `${this.file} has schema version ${version}; this build knows version ${SCHEMA_VERSION}`,
      );
    }
    this.db.transaction(() => {
      this.db.exec(SCHEMA);
      this.db.pragma(`user_version = ${SCHEMA_VERSION}`);
    })();
  }

  private prepare() {
    const db = this.db;
    return {
      recordInInbox: db.prepare(
        'INSERT INTO inbox (event_id, type, applied_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING',
      ),
      inboxHas: db.prepare('SELECT 1 FROM inbox WHERE event_id = ?'),
      inboxCount: db.prepare('SELECT count(*) AS n FROM inbox'),
      // Redeliveries and retries can bring greetings out of order: keep the extremes.
      countGreeting: db.prepare(
        `INSERT INTO greetings (name, count, first_greeted_at, last_greeted_at) VALUES (?, 1, ?, ?)
         ON CONFLICT (name) DO UPDATE SET
           count = count + 1,
           first_greeted_at = min(first_greeted_at, excluded.first_greeted_at),
           last_greeted_at = max(last_greeted_at, excluded.last_greeted_at)
         RETURNING count`,
      ),
      greetingByName: db.prepare('SELECT * FROM greetings WHERE name = ?'),
      greetingTotals: db.prepare('SELECT sum(count) AS total, count(*) AS names FROM greetings'),
      recentGreetings: db.prepare(
        'SELECT * FROM greetings ORDER BY last_greeted_at DESC, name LIMIT ?',
      ),
      counter: db.prepare('SELECT value FROM counters WHERE name = ?'),
      incrementCounter: db.prepare(
        `INSERT INTO counters (name, value) VALUES (?, 1)
         ON CONFLICT (name) DO UPDATE SET value = value + 1 RETURNING value`,
      ),
      insertRecentMessage: db.prepare(
        `INSERT INTO recent_messages (event_id, message_id, text, handled_at, seq)
         VALUES (?, ?, ?, ?, (SELECT coalesce(max(seq), 0) + 1 FROM recent_messages))`,
      ),
      trimRecentMessages: db.prepare(
        `DELETE FROM recent_messages WHERE event_id NOT IN (
           SELECT event_id FROM recent_messages ORDER BY handled_at DESC, seq DESC LIMIT ?)`,
      ),
      recentMessages: db.prepare(
        'SELECT * FROM recent_messages ORDER BY handled_at DESC, seq DESC',
      ),
      insertOutbox: db.prepare(
        `INSERT INTO outbox (message_id, exchange, routing_key, type, body, cause_event_id, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
      ),
      pendingOutbox: db.prepare(
        'SELECT * FROM outbox WHERE sent_at IS NULL ORDER BY created_at, rowid',
      ),
      pendingOutboxById: db.prepare('SELECT * FROM outbox WHERE message_id = ? AND sent_at IS NULL'),
      outboxTotals: db.prepare(
        `SELECT sum(sent_at IS NULL) AS pending, sum(sent_at IS NOT NULL) AS sent FROM outbox`,
      ),
      markSent: db.prepare('UPDATE outbox SET sent_at = ?, last_error = NULL WHERE message_id = ?'),
      markFailed: db.prepare(
        'UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE message_id = ?',
      ),
    };
  }
}

interface GreetingRow {
  name: string;
  count: number;
  first_greeted_at: string;
  last_greeted_at: string;
}

interface MessageRow {
  message_id: string;
  text: string;
  handled_at: string;
}

interface OutboxRow {
  message_id: string;
  exchange: string;
  routing_key: string;
  type: string;
  body: string;
  cause_event_id: string;
  created_at: string;
  attempts: number;
}

function toGreeting(row: GreetingRow): GreetingProjection {
  return {
    name: row.name,
    count: row.count,
    firstGreetedAt: row.first_greeted_at,
    lastGreetedAt: row.last_greeted_at,
  };
}

function toMessage(row: MessageRow): HandledMessage {
  return { messageId: row.message_id, text: row.text, handledAt: row.handled_at };
}

function toOutboxMessage(row: OutboxRow): PendingOutboxMessage {
  return {
    messageId: row.message_id,
    exchange: row.exchange,
    routingKey: row.routing_key,
    type: row.type,
    body: JSON.parse(row.body) as object,
    causeEventId: row.cause_event_id,
    attempts: row.attempts,
    createdAt: row.created_at,
  };
}

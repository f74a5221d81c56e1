import { type Kysely, sql, type Transaction } from 'kysely';
import type { EventHandlerSchema } from '../database/database-schema';
import { type DatabaseLocation, EventHandlerDatabase } from '../database/event-handler-database';
import { type OutboxMessage, OutboxStore } from '../outbox/outbox-store';

/** How many handled messages the messages projection keeps. */
export const RECENT_MESSAGES = 10;
/** Rows per insert statement of a batch (well under both databases' limits on bound values). */
const BATCH_ROWS = 500;
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
  /** Integration events applied (each event id once), pruned inbox rows included. */
  readonly eventsApplied: number;
  readonly outbox: { readonly pending: number; readonly sent: number };
}

/** The writes a projector may make; only valid inside `ProjectionStore.applyOnce`. */
export interface ProjectionTransaction {
  /** Counts one greeting of `name` at `greetedAt`; resolves to the count after it. */
  countGreeting(name: string, greetedAt: string): Promise<number>;
  recordHandledMessage(eventId: string, message: HandledMessage): Promise<void>;
  countLine(): Promise<number>;
  addOutboxMessage(message: OutboxMessage): Promise<void>;
}

/** One event of a batch given to `applyBatch`. */
export interface EventToApply {
  readonly eventId: string;
  readonly type: string;
  project(tx: ProjectionTransaction): Promise<unknown>;
}

export type ApplyResult<T> = { readonly applied: true; readonly value: T } | { readonly applied: false };

/** Rows of the `counters` table. */
export const MESSAGES_HANDLED = 'messages_handled';
export const LINES_RECEIVED = 'lines_received';
/** Inbox rows pruned, per event type (`inbox_pruned:<type>`; a bare `inbox_pruned` from older builds counts too). */
const INBOX_PRUNED = 'inbox_pruned';
export const inboxPrunedCounter = (type: string): string => `${INBOX_PRUNED}:${type}`;

/**
 * The event-handler's read models and its inbox, on the database of EventHandlerDatabase
 * (PostgreSQL or SQLite, the same statements through Kysely).
 *
 * Every integration event is applied through `applyOnce`: the event id goes into the inbox and
 * the projector's writes happen in the same transaction, so an event delivered twice changes the
 * projections once, and an event is either fully applied or not at all. Every write is an atomic
 * upsert or increment in the database (never read, add, write back), so replicas applying
 * events at the same time on one PostgreSQL database count exactly; a second delivery of an
 * event being applied elsewhere waits on its inbox row and then finds it there.
 */
export class ProjectionStore {
  constructor(
    private readonly database: EventHandlerDatabase,
    readonly outbox: OutboxStore,
  ) {}

  /** Opens (creating and migrating when needed) the database, for a store that owns it. */
  static async open(location: DatabaseLocation): Promise<ProjectionStore> {
    const database = await EventHandlerDatabase.open(location);
    return new ProjectionStore(database, new OutboxStore(database));
  }

  private get db(): Kysely<EventHandlerSchema> {
    return this.database.db;
  }

  get dialect(): EventHandlerDatabase['dialect'] {
    return this.database.dialect;
  }

  get isOpen(): boolean {
    return this.database.isOpen;
  }

  /** Resolves once the database answers; rejects when it cannot be reached (for readiness). */
  ping(): Promise<void> {
    return this.database.ping();
  }

  /**
   * Runs `project` and records `eventId` in the inbox in one transaction, unless the inbox
   * already holds `eventId`: then nothing is written and `{ applied: false }` comes back.
   * If `project` throws, nothing is written and the error propagates.
   */
  applyOnce<T>(
    eventId: string,
    type: string,
    project: (tx: ProjectionTransaction) => Promise<T> | T,
  ): Promise<ApplyResult<T>> {
    return this.db.transaction().execute(async (trx): Promise<ApplyResult<T>> => {
      const inserted = await trx
        .insertInto('inbox')
        .values({ event_id: eventId, type, applied_at: new Date().toISOString() })
        .onConflict((oc) => oc.column('event_id').doNothing())
        .executeTakeFirst();
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) return { applied: false };
      return { applied: true, value: await project(this.transactionOn(trx)) };
    });
  }

  /**
   * `applyOnce` for many events in one transaction, in order: a rebuild's batches (the rebuild is the
   * only writer of its tables). The same projector code runs, on a ProjectionTransaction that keeps
   * what it can for the end of the batch: the inbox rows in one statement, the counters added up (each
   * call still sees its exact value), the handled messages inserted together and trimmed once. The
   * tables come out as if each event had gone through `applyOnce`. Resolves to how many were new.
   */
  applyBatch(events: readonly EventToApply[]): Promise<number> {
    if (events.length === 0) return Promise.resolve(0);
    return this.db.transaction().execute(async (trx) => {
      const appliedAt = new Date().toISOString();
      const fresh = new Set<string>();
      for (let i = 0; i < events.length; i += BATCH_ROWS) {
        const rows = await trx
          .insertInto('inbox')
          .values(
            events.slice(i, i + BATCH_ROWS).map((e) => ({ event_id: e.eventId, type: e.type, applied_at: appliedAt })),
          )
          .onConflict((oc) => oc.column('event_id').doNothing())
          .returning('event_id')
          .execute();
        for (const row of rows) fresh.add(row.event_id);
      }
      const counters = await readCounters(trx);
      const added = new Map<string, number>();
      const add = (name: string): number => {
        added.set(name, (added.get(name) ?? 0) + 1);
        return (counters.get(name) ?? 0) + (added.get(name) ?? 0);
      };
      const handled: { eventId: string; message: HandledMessage }[] = [];
      const live = this.transactionOn(trx);
      const tx: ProjectionTransaction = {
        countGreeting: live.countGreeting,
        recordHandledMessage: async (eventId, message) => {
          add(MESSAGES_HANDLED);
          handled.push({ eventId, message });
        },
        countLine: async () => add(LINES_RECEIVED),
        addOutboxMessage: live.addOutboxMessage,
      };
      let applied = 0;
      for (const event of events) {
        // Once each, even when the batch holds an event twice.
        if (!fresh.delete(event.eventId)) continue;
        await event.project(tx);
        applied++;
      }
      for (const [name, by] of added) await increment(trx, name, by);
      if (handled.length > 0) {
        const { next } = await trx
          .selectFrom('recent_messages')
          .select(sql<number>`coalesce(max(seq), 0) + 1`.as('next'))
          .executeTakeFirstOrThrow();
        // Only the batch's newest RECENT_MESSAGES (by the order the trim keeps) can stay.
        const kept = handled
          .map((h, i) => ({ ...h, seq: Number(next) + i }))
          .sort((a, b) => b.message.handledAt.localeCompare(a.message.handledAt) || b.seq - a.seq)
          .slice(0, RECENT_MESSAGES);
        await trx
          .insertInto('recent_messages')
          .values(
            kept.map(({ eventId, message, seq }) => ({
              event_id: eventId,
              message_id: message.messageId,
              text: message.text,
              handled_at: message.handledAt,
              seq,
            })),
          )
          .execute();
        await trimRecentMessages(trx);
      }
      return applied;
    });
  }

  /**
   * Deletes inbox rows applied before `before`; resolves to how many. A redelivery of such an
   * event would be applied again: the retention must exceed any redelivery delay.
   */
  pruneInbox(before: Date): Promise<number> {
    return this.db.transaction().execute(async (trx) => {
      // eventsApplied keeps counting them, per type (a rebuild replaces a type's rows and its count).
      // The deleted rows' types come back from the delete itself: replicas pruning at once count each once.
      const deleted = await trx
        .deleteFrom('inbox')
        .where('applied_at', '<', before.toISOString())
        .returning('type')
        .execute();
      const perType = new Map<string, number>();
      for (const { type } of deleted) perType.set(type, (perType.get(type) ?? 0) + 1);
      for (const [type, n] of perType) await increment(trx, inboxPrunedCounter(type), n);
      return deleted.length;
    });
  }

  /**
   * Every figure from one snapshot (a repeatable-read transaction on PostgreSQL, one read transaction
   * on SQLite), so that a count and the rows it counts always agree while events are applied.
   */
  stats(): Promise<Stats> {
    return this.db
      .transaction()
      .setIsolationLevel('repeatable read')
      .execute((trx) => this.statsIn(trx));
  }

  private async statsIn(db: Transaction<EventHandlerSchema>): Promise<Stats> {
    const totals = await db
      .selectFrom('greetings')
      .select((eb) => [eb.fn.sum<number | null>('count').as('total'), eb.fn.countAll<number>().as('names')])
      .executeTakeFirstOrThrow();
    const byName = await db
      .selectFrom('greetings')
      .selectAll()
      .orderBy('last_greeted_at', 'desc')
      .orderBy('name')
      .limit(STATS_NAMES_LIMIT)
      .execute();
    const last = await db
      .selectFrom('recent_messages')
      .selectAll()
      .orderBy('handled_at', 'desc')
      .orderBy('seq', 'desc')
      // Trims racing on PostgreSQL may leave a row or two extra for a moment.
      .limit(RECENT_MESSAGES)
      .execute();
    const inbox = await db
      .selectFrom('inbox')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    const counters = await readCounters(db);
    return {
      greetings: {
        total: Number(totals.total ?? 0),
        names: Number(totals.names),
        byName: byName.map(toGreeting),
      },
      messages: {
        handled: counters.get(MESSAGES_HANDLED) ?? 0,
        last: last.map((row) => ({ messageId: row.message_id, text: row.text, handledAt: row.handled_at })),
      },
      lines: { received: counters.get(LINES_RECEIVED) ?? 0 },
      eventsApplied: Number(inbox.n) + sumPruned(counters),
      outbox: await this.outbox.totals(db),
    };
  }

  async greeting(name: string): Promise<GreetingProjection | undefined> {
    const row = await this.db.selectFrom('greetings').selectAll().where('name', '=', name).executeTakeFirst();
    return row && toGreeting(row);
  }

  /** Closes the database (when this store owns it, see `open`). */
  close(): Promise<void> {
    return this.database.close();
  }

  private transactionOn(trx: Transaction<EventHandlerSchema>): ProjectionTransaction {
    return {
      countGreeting: async (name, greetedAt) => {
        const row = await trx
          .insertInto('greetings')
          .values({ name, count: 1, first_greeted_at: greetedAt, last_greeted_at: greetedAt })
          .onConflict((oc) =>
            oc.column('name').doUpdateSet((eb) => ({
              count: eb('greetings.count', '+', 1),
              // Redeliveries and retries can bring greetings out of order: keep the extremes.
              first_greeted_at: eb
                .case()
                .when('excluded.first_greeted_at', '<', eb.ref('greetings.first_greeted_at'))
                .then(eb.ref('excluded.first_greeted_at'))
                .else(eb.ref('greetings.first_greeted_at'))
                .end(),
              last_greeted_at: eb
                .case()
                .when('excluded.last_greeted_at', '>', eb.ref('greetings.last_greeted_at'))
                .then(eb.ref('excluded.last_greeted_at'))
                .else(eb.ref('greetings.last_greeted_at'))
                .end(),
            })),
          )
          .returning('count')
          .executeTakeFirstOrThrow();
        return Number(row.count);
      },
      recordHandledMessage: async (eventId, message) => {
        await increment(trx, MESSAGES_HANDLED);
        await trx
          .insertInto('recent_messages')
          .values((eb) => ({
            event_id: eventId,
            message_id: message.messageId,
            text: message.text,
            handled_at: message.handledAt,
            seq: eb.selectFrom('recent_messages').select(sql<number>`coalesce(max(seq), 0) + 1`.as('next')),
          }))
          .execute();
        await trimRecentMessages(trx);
      },
      countLine: () => increment(trx, LINES_RECEIVED),
      addOutboxMessage: (message) => this.outbox.add(trx, message),
    };
  }
}

/** Keeps the RECENT_MESSAGES newest handled messages. */
async function trimRecentMessages(trx: Transaction<EventHandlerSchema>): Promise<void> {
  await trx
    .deleteFrom('recent_messages')
    .where('event_id', 'not in', (eb) =>
      eb
        .selectFrom('recent_messages')
        .select('event_id')
        .orderBy('handled_at', 'desc')
        .orderBy('seq', 'desc')
        .limit(RECENT_MESSAGES),
    )
    .execute();
}

/** Adds `by` to the counter `name` in one statement; resolves to its new value. */
async function increment(trx: Transaction<EventHandlerSchema>, name: string, by = 1): Promise<number> {
  const row = await trx
    .insertInto('counters')
    .values({ name, value: by })
    .onConflict((oc) => oc.column('name').doUpdateSet((eb) => ({ value: eb('counters.value', '+', by) })))
    .returning('value')
    .executeTakeFirstOrThrow();
  return Number(row.value);
}

function sumPruned(counters: ReadonlyMap<string, number>): number {
  let sum = 0;
  for (const [name, value] of counters) if (name === INBOX_PRUNED || name.startsWith(`${INBOX_PRUNED}:`)) sum += value;
  return sum;
}

function toGreeting(row: {
  name: string;
  count: number;
  first_greeted_at: string;
  last_greeted_at: string;
}): GreetingProjection {
  return {
    name: row.name,
    count: Number(row.count),
    firstGreetedAt: row.first_greeted_at,
    lastGreetedAt: row.last_greeted_at,
  };
}

async function readCounters(db: Kysely<EventHandlerSchema>): Promise<Map<string, number>> {
  const rows = await db.selectFrom('counters').selectAll().execute();
  return new Map(rows.map((row) => [row.name, Number(row.value)]));
}

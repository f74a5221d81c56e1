import { sql, type Kysely, type Transaction } from 'kysely';
import type { Logger } from '@nestjs/common';
import type { EventHandlerSchema } from '../database/database-schema';
import { type EventHandlerDatabase, REBUILD_SCHEMA } from '../database/event-handler-database';
import type { LogProjection } from '../log-projections/log-projection';
import { inboxPrunedCounter } from '../projections/projection-store';
import type { Projector, ProjectionTable } from '../projections/projector';

// The swap of a rebuild: when the fresh tables hold everything the live ones have applied, and the one
// transaction that replaces the live rows with theirs (see ProjectionRebuilder).

/** How long the swap may hold the live tables (writes wait; reads go on) for the fresh ones to catch up. */
const SWAP_LOCKED_WAIT_MS = 2_000;
/**
 * Live inbox rows applied from this long before the rebuild started must be in the fresh tables before
 * the swap (every such event is in the log); the margin covers clocks of replicas that differ a little.
 */
const CLOCK_MARGIN_MS = 60_000;

/** The projections a rebuild replaces. */
export interface Selection {
  readonly projectors: readonly Projector[];
  readonly logProjections: readonly LogProjection[];
}

/** A rebuild's fresh tables, as the swap sees them. */
export interface FreshTables {
  readonly selection: Selection;
  /** Where they are (the rebuild's own database). */
  readonly database: EventHandlerDatabase;
  /** When the rebuild started (ms since the epoch, this process's clock). */
  readonly startedAt: number;
  readonly from: 'first' | Date;
  /** The offset of the last log entry in them. */
  offset(): number;
  /** Log entries skipped so far. */
  skipped(): number;
  /** From when their history is complete, when not from the log's beginning. */
  historyFrom(): string | undefined;
  /** Resolves once the batch in hand is in them. */
  settled(): Promise<void>;
  /** Waits for the batch in hand and holds the next back until the returned function is called. */
  pause(): Promise<() => void>;
}

export interface SwapOptions {
  /** Every queue-fed projection is rebuilt: the inbox's pruned count of older builds goes too. */
  readonly replacesAll: boolean;
  readonly logger: Logger;
  /** Names the rebuild in log lines. */
  readonly label: string;
}

/**
 * What the fresh tables still lack of what the live ones have applied, in words; undefined when
 * nothing: every live log projection's position is at or before the fresh one's, and every event
 * the live inbox took (of the rebuilt types) since shortly before the rebuild started is in the fresh tables.
 */
export async function behindLive(trx: Kysely<EventHandlerSchema>, fresh: FreshTables): Promise<string | undefined> {
  const logNames = fresh.selection.logProjections.map((p) => p.name);
  if (logNames.length > 0) {
    const positions = await trx
      .selectFrom('projection_positions')
      .select(['projection', 'log_offset'])
      .where('projection', 'in', logNames)
      .execute();
    const ahead = positions.find((p) => Number(p.log_offset) > fresh.offset());
    if (ahead) return `${ahead.projection} is at offset ${ahead.log_offset}, the fresh tables at ${fresh.offset()}`;
  }
  const types = fresh.selection.projectors.map((p) => p.eventClass.type);
  if (types.length > 0) {
    // Read from a time, the events published before it are left out on purpose: only what the live
    // side applied since the start counts (a consumer lagging behind that time makes the swap wait).
    const since = new Date(fresh.from === 'first' ? fresh.startedAt - CLOCK_MARGIN_MS : fresh.startedAt).toISOString();
    const live = await trx
      .selectFrom('inbox')
      .select('event_id')
      .where('type', 'in', types)
      .where('applied_at', '>=', since)
      .execute();
    const shadow = fresh.database.db;
    let missing = 0;
    for (let i = 0; i < live.length; i += 500) {
      const ids = live.slice(i, i + 500).map((row) => row.event_id);
      const found = await shadow
        .selectFrom('inbox')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('event_id', 'in', ids)
        .executeTakeFirstOrThrow();
      missing += ids.length - Number(found.n);
    }
    if (missing > 0) return `${missing} events applied live are not in the fresh tables yet`;
  }
  return undefined;
}

/**
 * One try at replacing the live rows: holds the live tables' writers back (PostgreSQL: a lock on the
 * tables, reads go on; SQLite: the transaction holds the app's one connection), lets the fresh tables
 * catch up for at most SWAP_LOCKED_WAIT_MS, then copies them over in the same transaction.
 * Resolves to false (nothing changed) when they did not catch up in time.
 */
export async function swapIn(live: EventHandlerDatabase, fresh: FreshTables, options: SwapOptions): Promise<boolean> {
  const shadow = fresh.database;
  if (live.dialect === 'sqlite') {
    await sql`attach database ${shadow.file} as ${sql.id(REBUILD_SCHEMA)}`.execute(live.db);
  }
  try {
    return await live.db.transaction().execute(async (trx) => {
      if (live.dialect === 'postgres') {
        // EXCLUSIVE: queries (ACCESS SHARE) go on; inserts, updates and deletes wait for the commit.
        await sql`lock table inbox, greetings, counters, recent_messages, greetings_by_hour, projection_positions
            in exclusive mode`.execute(trx);
      }
      const deadline = Date.now() + SWAP_LOCKED_WAIT_MS;
      for (;;) {
        await fresh.settled();
        const behind = await behindLive(trx, fresh);
        if (behind === undefined) {
          // Nothing more reaches the fresh tables until the copy has committed.
          const resume = await fresh.pause();
          try {
            if ((await behindLive(trx, fresh)) !== undefined) continue;
            await copy(trx, fresh, options.replacesAll);
          } finally {
            resume();
          }
          return true;
        }
        if (Date.now() >= deadline) {
          options.logger.warn(`${options.label}: swap postponed (${behind})`);
          return false;
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    });
  } finally {
    if (live.dialect === 'sqlite') await sql`detach database ${sql.id(REBUILD_SCHEMA)}`.execute(live.db);
  }
}

/** Replaces the rebuilt projections' live rows with the fresh ones, inside the swap's transaction. */
async function copy(trx: Transaction<EventHandlerSchema>, fresh: FreshTables, replacesAll: boolean): Promise<void> {
  const { projectors, logProjections } = fresh.selection;
  const tables = new Set<ProjectionTable>();
  const counters: string[] = [];
  for (const projection of [...projectors, ...logProjections]) {
    for (const table of projection.owns.tables) tables.add(table);
    counters.push(...projection.owns.counters);
  }
  const freshTable = (table: string) => sql.table(`${REBUILD_SCHEMA}.${table}`);
  for (const table of tables) {
    await sql`delete from ${sql.table(table)}`.execute(trx);
    await sql`insert into ${sql.table(table)} select * from ${freshTable(table)}`.execute(trx);
  }
  const types = projectors.map((p) => p.eventClass.type);
  if (types.length > 0) {
    await trx.deleteFrom('inbox').where('type', 'in', types).execute();
    await sql`insert into inbox select * from ${freshTable('inbox')} where type in (${sql.join(types)})`.execute(trx);
    // The pruned rows of these types are back in the inbox (the log still has them) or gone from the
    // history; the bare counter of older builds cannot be split by type: it goes with a full rebuild.
    const pruned = types.map(inboxPrunedCounter);
    if (replacesAll) pruned.push('inbox_pruned');
    await trx.deleteFrom('counters').where('name', 'in', pruned).execute();
  }
  if (counters.length > 0) {
    await trx.deleteFrom('counters').where('name', 'in', counters).execute();
    await sql`insert into counters select * from ${freshTable('counters')} where name in (${sql.join(counters)})`.execute(
      trx,
    );
  }
  // Positions: the log projections' from the fresh tables; the queue-fed ones' say where the rebuild stopped.
  const names = [...projectors.map((p) => p.projection), ...logProjections.map((p) => p.name)];
  await trx.deleteFrom('projection_positions').where('projection', 'in', names).execute();
  if (logProjections.length > 0) {
    await sql`insert into projection_positions select * from ${freshTable('projection_positions')}
        where projection in (${sql.join(logProjections.map((p) => p.name))})`.execute(trx);
  }
  const appliedAt = new Date().toISOString();
  for (const projector of projectors) {
    await trx
      .insertInto('projection_positions')
      .values({
        projection: projector.projection,
        log_offset: fresh.offset(),
        applied_at: appliedAt,
        events_skipped: fresh.skipped(),
        history_from: fresh.historyFrom() ?? null,
      })
      .execute();
  }
}

import type { IntegrationEvent } from '@hello/contracts';
import type { Kysely } from 'kysely';
import type { EventHandlerSchema } from '../database/database-schema';
import type { EventHandlerDatabase } from '../database/event-handler-database';
import type { LogProjection } from './log-projection';

/** Where a projection stands in the log. */
export interface ProjectionPosition {
  /** The offset of the last log entry applied. */
  readonly offset: number;
  readonly appliedAt: string;
  readonly eventsSkipped: number;
  /** From when the projection holds the whole history (set after the log lost entries it had not applied). */
  readonly historyFrom?: string;
}

/** One log entry of a batch: its offset, and the event (undefined: not a valid event, skipped). */
export interface LogEntry {
  readonly offset: number;
  readonly event?: IntegrationEvent;
}

/**
 * The positions of the log projections, and the transaction that applies a batch of log entries
 * with its new position. On PostgreSQL the position row is locked for the transaction, so replicas
 * reading the same log apply each entry once: the second finds the position past it and skips it.
 */
export class LogProjectionStore {
  constructor(private readonly database: EventHandlerDatabase) {}

  private get db(): Kysely<EventHandlerSchema> {
    return this.database.db;
  }

  async position(projection: string): Promise<ProjectionPosition | undefined> {
    const row = await this.db
      .selectFrom('projection_positions')
      .selectAll()
      .where('projection', '=', projection)
      .executeTakeFirst();
    if (!row) return undefined;
    const position = {
      offset: Number(row.log_offset),
      appliedAt: row.applied_at,
      eventsSkipped: Number(row.events_skipped),
    };
    return row.history_from === null ? position : { ...position, historyFrom: row.history_from };
  }

  /**
   * Applies the entries after the stored position, in one transaction with the new position;
   * resolves to how many entries were new (0: another replica had applied them all). `historyFrom`
   * records that entries before this batch were lost to retention (see ProjectionPosition).
   */
  applyBatch(projection: LogProjection, entries: readonly LogEntry[], historyFrom?: string): Promise<number> {
    const last = entries[entries.length - 1];
    if (!last) return Promise.resolve(0);
    return this.db.transaction().execute(async (trx) => {
      // A row to lock even on the first batch; it does nothing when the row is there.
      await trx
        .insertInto('projection_positions')
        .values({ projection: projection.name, log_offset: -1, applied_at: new Date().toISOString() })
        .onConflict((oc) => oc.column('projection').doNothing())
        .execute();
      let select = trx
        .selectFrom('projection_positions')
        .select('log_offset')
        .where('projection', '=', projection.name);
      if (this.database.dialect === 'postgres') select = select.forUpdate();
      const stored = Number((await select.executeTakeFirstOrThrow()).log_offset);
      const fresh = entries.filter((entry) => entry.offset > stored);
      if (fresh.length === 0) return 0;
      const events = fresh.flatMap((entry) => (entry.event ? [entry.event] : []));
      if (events.length > 0) await projection.apply(trx, events);
      const skipped = fresh.length - events.length;
      await trx
        .updateTable('projection_positions')
        .set((eb) => ({
          log_offset: last.offset,
          applied_at: new Date().toISOString(),
          events_skipped: eb('events_skipped', '+', skipped),
          ...(historyFrom === undefined ? {} : { history_from: historyFrom }),
        }))
        .where('projection', '=', projection.name)
        .execute();
      return fresh.length;
    });
  }
}

import type { IntegrationEvent } from '@hello/contracts';
import type { Transaction } from 'kysely';
import type { EventHandlerSchema } from '../database/database-schema';
import type { ProjectionTables } from '../projections/projector';

/**
 * A projection fed from the event log (`hello.events.log`) instead of the event-handler's queue: it
 * fills itself from the log's first event on its first start (a backfill) and then follows the log.
 * Its position in the log commits in the same transaction as its writes, so each log entry counts
 * once, across restarts and replicas. It writes its own tables only: nothing it does reaches the
 * EventBus, the saga or the outbox, so a replay never repeats a side effect.
 */
export interface LogProjection {
  /** Names it in `GET /projections`, metrics and `projection_positions`. */
  readonly name: string;
  /** The integration event types it reads (the others in the log pass it by). */
  readonly eventTypes: readonly string[];
  /** What it writes (besides its row of `projection_positions`): what a rebuild replaces. */
  readonly owns: ProjectionTables;
  /** Applies, in log order, the valid events of one batch inside `trx`. */
  apply(trx: Transaction<EventHandlerSchema>, events: readonly IntegrationEvent[]): Promise<void>;
}

/** Injection token of the list of every LogProjection. */
export const LOG_PROJECTIONS = Symbol('LOG_PROJECTIONS');

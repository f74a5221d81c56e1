import type { IntegrationEvent, IntegrationEventClass } from '@hello/contracts';
import type { IEvent } from '@nestjs/cqrs';
import type { ProjectionTransaction } from './projection-store';

/**
 * Applies one type of integration event to the read models. `project` runs inside the inbox
 * transaction and must make its writes through `tx` only, so that they and the inbox row commit
 * or roll back together. It resolves to the in-process events to publish on the EventBus once
 * the transaction has committed.
 */
export interface Projector<E extends IntegrationEvent = IntegrationEvent> {
  readonly eventClass: IntegrationEventClass<E>;
  /** Names its projection in `GET /projections` and for `npm run projections -- rebuild`. */
  readonly projection: string;
  /** What it writes (besides the inbox rows of its event type): what a rebuild replaces. */
  readonly owns: ProjectionTables;
  project(tx: ProjectionTransaction, event: E): Promise<IEvent[]>;
}

/** The tables a projection's rows live in (whole tables: nothing else writes them). */
export type ProjectionTable = 'greetings' | 'recent_messages' | 'greetings_by_hour';

/** What one projection writes: whole tables, and rows of the `counters` table by name. */
export interface ProjectionTables {
  readonly tables: readonly ProjectionTable[];
  readonly counters: readonly string[];
}

/** Injection token of the list of every Projector. */
export const PROJECTORS = Symbol('PROJECTORS');

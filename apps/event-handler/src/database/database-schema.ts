import type { Generated } from 'kysely';

/** The tables of the event-handler's database, as Kysely sees them (both dialects). */
export interface EventHandlerSchema {
  inbox: InboxTable;
  greetings: GreetingsTable;
  counters: CountersTable;
  recent_messages: RecentMessagesTable;
  outbox: OutboxTable;
  greetings_by_hour: GreetingsByHourTable;
  projection_positions: ProjectionPositionsTable;
}

// Times are ISO-8601 strings in UTC (`toISOString()`): they sort as text the same way on both
// databases and come back exactly as they went in. Counts are bigint in PostgreSQL; the driver
// is told to read them as numbers (see event-handler-database.ts).

export interface InboxTable {
  event_id: string;
  type: string;
  applied_at: string;
}

export interface GreetingsTable {
  name: string;
  count: number;
  first_greeted_at: string;
  last_greeted_at: string;
}

export interface CountersTable {
  name: string;
  value: number;
}

export interface RecentMessagesTable {
  event_id: string;
  message_id: string;
  text: string;
  handled_at: string;
  seq: number;
}

export interface OutboxTable {
  message_id: string;
  exchange: string;
  routing_key: string;
  type: string;
  /** The message body as JSON text. */
  body: string;
  cause_event_id: string;
  created_at: string;
  sent_at: string | null;
  attempts: Generated<number>;
  last_error: string | null;
}

/** Greetings counted per UTC hour of their `greetedAt` (fed from the event log). */
export interface GreetingsByHourTable {
  /** The hour's start, ISO-8601 UTC (`2026-01-31T12:00:00.000Z`). */
  hour: string;
  count: number;
}

/** How far each projection fed from the event log has applied it. */
export interface ProjectionPositionsTable {
  projection: string;
  /** The offset of the last log entry applied (or skipped as invalid). */
  log_offset: number;
  applied_at: string;
  /** Log entries that were not valid events, skipped. */
  events_skipped: Generated<number>;
  /**
   * Set when the log no longer held entries the projection had not applied (retention dropped
   * them): the publish time of the first entry after that gap, from when its history is complete.
   */
  history_from: string | null;
}

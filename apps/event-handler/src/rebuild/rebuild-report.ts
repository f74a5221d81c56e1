/** `running` (reading the log into fresh tables), `swapping` (caught up; replacing the live tables), then `done` or `failed`. */
export type RebuildState = 'running' | 'swapping' | 'done' | 'failed';

/** A log entry a rebuild skipped: not a valid event (unknown type or version, invalid body). */
export interface SkippedEntry {
  readonly offset: number;
  readonly reason: string;
  readonly detail: string;
}

/** What `GET /projections/rebuild` shows of the last rebuild (or the one running). */
export interface RebuildReport {
  readonly id: string;
  state: RebuildState;
  readonly projections: readonly string[];
  /** `first`, or the ISO time the rebuild read the log from. */
  readonly from: string;
  readonly startedAt: string;
  /** When the fresh tables had reached the log's tail as it was at the start. */
  caughtUpAt?: string;
  finishedAt?: string;
  /** Log entries read (every type). */
  entriesRead: number;
  /** Events applied to the fresh tables, counted once per projection they went to. */
  eventsApplied: number;
  /** The offset of the last log entry in the fresh tables (the live tables' after the swap). */
  lastOffset?: number;
  /**
   * From when the rebuilt history is complete, when it is not complete from the log's beginning:
   * the log had lost its first entries to retention, or the rebuild read from a time.
   */
  historyFrom?: string;
  readonly skipped: {
    total: number;
    readonly byReason: Record<string, number>;
    /** The first SKIPPED_LISTED of them. */
    readonly entries: SkippedEntry[];
  };
  durationMs?: number;
  /** Events applied per second, from start to swap. */
  eventsPerSecond?: number;
  error?: string;
}

/** How many skipped entries a report lists one by one (all are counted). */
export const SKIPPED_LISTED = 100;

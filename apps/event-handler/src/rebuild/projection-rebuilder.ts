import { type IntegrationEvent, integrationEventClassOf, Topology } from '@hello/contracts';
import {
  AmqpConnection,
  findStreamTail,
  publishedAt,
  readLoggedEvent,
  StreamReader,
  type StreamDelivery,
} from '@hello/messaging';
import { Metrics as PlatformMetrics } from '@hello/platform';
import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { sql } from 'kysely';
import { randomUUID } from 'node:crypto';
import type { Counter } from 'prom-client';
import { EVENT_HANDLER_CONFIG, type EventHandlerConfig } from '../config/event-handler.config';
import { EventHandlerDatabase } from '../database/event-handler-database';
import { LOG_PROJECTIONS, type LogProjection } from '../log-projections/log-projection';
import { LogProjectionRunner } from '../log-projections/log-projection-runner';
import { type LogEntry, LogProjectionStore } from '../log-projections/log-projection-store';
import { OutboxStore } from '../outbox/outbox-store';
import { type EventToApply, ProjectionStore } from '../projections/projection-store';
import { PROJECTORS, type Projector } from '../projections/projector';
import { type RebuildReport, SKIPPED_LISTED } from './rebuild-report';
import { behindLive, type FreshTables, type Selection, swapIn } from './rebuild-swap';

/** What to rebuild, and from where in the log. */
export interface RebuildRequest {
  /** Projection names; all of them when absent. */
  readonly projections?: readonly string[];
  /** `first` (the default) or a time: the rebuilt history then starts there (`partial`). */
  readonly from?: 'first' | Date;
}

/** A rebuild is running already (here, or on another replica sharing the PostgreSQL database). */
export class RebuildInProgress extends Error {
  readonly code = 'rebuild-in-progress';
}

/** The request names a projection that does not exist. */
export class UnknownProjection extends Error {
  readonly code = 'unknown-projection';
}

/** Log entries applied per transaction to the fresh tables. */
const BATCH_SIZE = 1_000;
/** pg_try_advisory_lock key: one rebuild at a time across replicas on one PostgreSQL database. */
const LOCK_KEY = 'hello-mesh.event-handler.projection-rebuild';

/** The rebuild in progress: its fresh tables, reader and what it has applied. */
interface Run {
  readonly report: RebuildReport;
  readonly selection: Selection;
  readonly startedAt: number;
  readonly from: 'first' | Date;
  shadow?: EventHandlerDatabase;
  reader?: StreamReader;
  /** The offset of the last log entry applied to the fresh tables. */
  shadowOffset: number;
  /** The batch being applied to the fresh tables; the swap waits for it and holds the next one back. */
  applying: Promise<void>;
  cancelled: boolean;
  /** Set when the rebuild has ended; the report's state follows once the lock is released. */
  outcome?: 'done' | 'failed';
}

/**
 * Rebuilds projections from the event log while the event-handler runs. The same projector code
 * applies the log, from its first entry (or a time), to fresh tables beside the live ones (a SQLite file
 * of its own, or a PostgreSQL schema of its own), in batches; nothing reaches the EventBus, the saga or
 * the live outbox (the fresh database has an outbox of its own, dropped unread), so no welcome is sent
 * again. Once the fresh tables have caught up with everything the live ones have applied, one
 * transaction that holds the live tables' writers back replaces their rows (and the projections' inbox
 * rows and log positions) with the fresh ones: afterwards an event the live consumer is handed is
 * either in the new inbox (skipped) or new (applied), and a log projection goes on after the new
 * position. A rebuild that fails or is killed never got to that transaction: the live tables are as
 * they were, and the next rebuild starts over.
 */
@Injectable()
export class ProjectionRebuilder implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(ProjectionRebuilder.name);
  private readonly byName = new Map<string, Projector | LogProjection>();
  private current?: Run;
  private last?: RebuildReport;
  private finished?: Promise<void>;

  constructor(
    @Inject(EVENT_HANDLER_CONFIG) private readonly config: EventHandlerConfig,
    private readonly database: EventHandlerDatabase,
    @Inject(PROJECTORS) private readonly projectors: Projector[],
    @Inject(LOG_PROJECTIONS) private readonly logProjections: LogProjection[],
    private readonly runner: LogProjectionRunner,
    private readonly metrics: PlatformMetrics,
  ) {
    for (const projection of projectors) this.byName.set(projection.projection, projection);
    for (const projection of logProjections) this.byName.set(projection.name, projection);
  }

  onModuleInit(): void {
    this.metrics.labelledGaugeFrom(
      'event_handler_projection_rebuilding',
      'event-handler: 1 while this replica rebuilds the projection from the event log',
      'projection',
      () => {
        const now = this.rebuilding();
        return Object.fromEntries(this.names().map((name) => [name, now.has(name) ? 1 : 0]));
      },
    );
    this.rebuilds = this.metrics.counter(
      'event_handler_projection_rebuilds_total',
      'event-handler: projection rebuilds finished, by outcome (done, failed)',
      ['outcome'],
    );
  }

  private rebuilds?: Counter;

  /** Every projection's name: the queue-fed ones, then the log-fed ones. */
  names(): string[] {
    return [...this.byName.keys()];
  }

  /** The projections being rebuilt now (empty when none). */
  rebuilding(): ReadonlySet<string> {
    const run = this.current;
    return new Set(
      run && (run.report.state === 'running' || run.report.state === 'swapping') ? run.report.projections : [],
    );
  }

  /** The rebuild running, else the last one this replica ran. */
  report(): RebuildReport | undefined {
    return this.current?.report ?? this.last;
  }

  /**
   * Starts a rebuild; resolves to its report (state `running`) once it holds the lock. Rejects with
   * UnknownProjection, or RebuildInProgress when one is running here or on another replica.
   */
  async start(request: RebuildRequest = {}): Promise<RebuildReport> {
    const names = request.projections?.length ? [...new Set(request.projections)] : this.names();
    const unknown = names.filter((name) => !this.byName.has(name));
    if (unknown.length > 0) {
      throw new UnknownProjection(
        `no projection named ${unknown.map((n) => `"${n}"`).join(', ')}; there are ${this.names().join(', ')}`,
      );
    }
    if (this.current) throw new RebuildInProgress(`a rebuild (${this.current.report.id}) is running on this replica`);
    const from = request.from ?? 'first';
    const selection: Selection = {
      projectors: this.projectors.filter((p) => names.includes(p.projection)),
      logProjections: this.logProjections.filter((p) => names.includes(p.name)),
    };
    const run: Run = {
      report: {
        id: randomUUID(),
        state: 'running',
        projections: this.names().filter((name) => names.includes(name)),
        from: from === 'first' ? 'first' : from.toISOString(),
        startedAt: new Date().toISOString(),
        entriesRead: 0,
        eventsApplied: 0,
        skipped: { total: 0, byReason: {}, entries: [] },
      },
      selection,
      startedAt: Date.now(),
      from,
      shadowOffset: -1,
      applying: Promise.resolve(),
      cancelled: false,
    };
    this.current = run;
    try {
      await this.whileLocked(run);
    } catch (error) {
      this.current = undefined;
      throw error;
    }
    return run.report;
  }

  /** Stops a rebuild in progress; the live tables stay as they are. */
  async onApplicationShutdown(): Promise<void> {
    const run = this.current;
    if (run) {
      run.cancelled = true;
      run.reader?.stop();
    }
    await this.finished?.catch(() => undefined);
  }

  /**
   * Takes the lock and runs the rebuild in the background; resolves once the lock is held. On
   * PostgreSQL an advisory lock of a connection held for the whole rebuild (released by the server
   * when the process dies); SQLite has one process per file, so `current` is the lock.
   */
  private whileLocked(run: Run): Promise<void> {
    return new Promise<void>((locked, refused) => {
      const rebuild = async () => {
        locked();
        await this.rebuild(run);
      };
      const work =
        this.database.dialect === 'postgres'
          ? this.database.db.connection().execute(async (connection) => {
              const { rows } = await sql<{ locked: boolean }>`
                select pg_try_advisory_lock(hashtext(${LOCK_KEY})) as locked`.execute(connection);
              if (!rows[0]?.locked) {
                return refused(new RebuildInProgress('a rebuild is running on another replica of this database'));
              }
              try {
                await rebuild();
              } finally {
                await sql`select pg_advisory_unlock(hashtext(${LOCK_KEY}))`.execute(connection).catch(() => undefined);
              }
            })
          : rebuild();
      // Done or failed only once the lock is released and the fresh tables dropped: a rebuild
      // started as soon as the report says so is not refused.
      this.finished = work.catch(refused).finally(() => {
        if (this.current !== run) return;
        run.report.state = run.outcome ?? 'failed';
        this.last = run.report;
        this.current = undefined;
      });
    });
  }

  private async rebuild(run: Run): Promise<void> {
    const { report } = run;
    const names = report.projections.join(', ');
    this.logger.log(`rebuild ${report.id}: ${names} from the event log (${report.from})`);
    const connection = new AmqpConnection({
      url: this.config.rabbitmqUrl,
      tls: this.config.rabbitmqTls,
      connectionName: 'event-handler.rebuild',
    });
    let reading: Promise<unknown> | undefined;
    try {
      run.shadow = await EventHandlerDatabase.openRebuild(this.config);
      const shadow = run.shadow;
      const stores = {
        projections: new ProjectionStore(shadow, new OutboxStore(shadow)),
        positions: new LogProjectionStore(shadow),
      };
      await connection.connect();
      const tail = (await findStreamTail(connection, Topology.eventLog)) ?? -1;
      run.reader = new StreamReader({
        url: this.config.rabbitmqUrl,
        tls: this.config.rabbitmqTls,
        connectionName: 'event-handler.rebuild',
        stream: Topology.eventLog,
        from: run.from,
        until: 'follow',
        prefetch: BATCH_SIZE * 2,
      });
      if (run.cancelled) throw new Error('the event-handler is shutting down');
      reading = run.reader.runBatches((batch) => this.applyToShadow(run, stores, batch), BATCH_SIZE);
      const readFailed = reading.then(() => {
        if (!run.cancelled) throw new Error('the event log reader stopped');
      });
      readFailed.catch(() => undefined);
      // Caught up with the log as it was at the start; from then on, swap as soon as the fresh tables
      // hold everything the live ones have applied.
      await Promise.race([this.until(run, () => run.shadowOffset >= tail), readFailed]);
      report.caughtUpAt = new Date().toISOString();
      report.state = 'swapping';
      this.logger.log(`rebuild ${report.id}: caught up at offset ${run.shadowOffset}; swapping`);
      // Before locking, wait (unlocked) until they look caught up; a swap that finds them short after
      // SWAP_LOCKED_WAIT_MS backs off and tries again, until the timeout.
      const deadline = Date.now() + this.config.rebuildSwapTimeoutMs;
      let swapped = false;
      while (!swapped) {
        const left = deadline - Date.now();
        if (left <= 0) {
          throw new Error(
            `the fresh tables did not catch up with the live ones in ${this.config.rebuildSwapTimeoutMs} ms ` +
              `(${(await behindLive(this.database.db, freshTablesOf(run))) ?? 'now they have'}); events applied live ` +
              'that the log does not hold cannot be rebuilt',
          );
        }
        await Promise.race([this.until(run, () => this.caughtUpWithLive(run), left), readFailed]);
        swapped = await swapIn(this.database, freshTablesOf(run), {
          replacesAll: run.selection.projectors.length === this.projectors.length,
          logger: this.logger,
          label: `rebuild ${run.report.id}`,
        });
      }
      const finishedAt = Date.now();
      run.outcome = 'done';
      report.finishedAt = new Date(finishedAt).toISOString();
      report.durationMs = finishedAt - run.startedAt;
      report.eventsPerSecond = Math.round((report.eventsApplied * 1000) / Math.max(1, report.durationMs));
      this.rebuilds?.inc({ outcome: 'done' });
      await this.runner.refresh(run.selection.logProjections.map((p) => p.name));
      this.logger.log(
        `rebuild ${report.id}: done, ${report.eventsApplied} events up to offset ${report.lastOffset ?? -1} in ` +
          `${report.durationMs} ms; ${report.skipped.total} entries skipped` +
          (report.historyFrom ? `; history complete from ${report.historyFrom} (partial)` : ''),
      );
    } catch (error) {
      run.outcome = 'failed';
      report.error = (error as Error).message;
      report.finishedAt = new Date().toISOString();
      this.rebuilds?.inc({ outcome: 'failed' });
      this.logger.error(`rebuild ${report.id} failed, the live tables are as they were: ${report.error}`);
    } finally {
      run.cancelled = true;
      run.reader?.stop();
      await reading?.catch(() => undefined);
      await connection.close().catch(() => undefined);
      await run.shadow?.close().catch(() => undefined);
      await EventHandlerDatabase.dropRebuild(this.config).catch((error: Error) =>
        this.logger.warn(`rebuild ${report.id}: could not drop the fresh tables: ${error.message}`),
      );
    }
  }

  /** Applies one batch of log entries to the fresh tables, in one transaction per kind of projection. */
  private applyToShadow(
    run: Run,
    stores: { projections: ProjectionStore; positions: LogProjectionStore },
    batch: readonly StreamDelivery[],
  ): Promise<void> {
    const apply = async () => {
      const { report, selection } = run;
      const first = batch[0];
      if (first && report.entriesRead === 0) {
        if (run.from instanceof Date) report.historyFrom = run.from.toISOString();
        else if (first.offset > 0) {
          // The log's first entries are gone (retention): the rebuilt history starts here.
          report.historyFrom = (publishedAt(first.message) ?? new Date()).toISOString();
          this.logger.warn(
            `rebuild ${report.id}: the event log no longer holds offsets 0 to ${first.offset - 1}; ` +
              `the rebuilt projections are complete from ${report.historyFrom} only (partial)`,
          );
        }
      }
      report.entriesRead += batch.length;
      const queued: EventToApply[] = [];
      const entries: LogEntry[] = [];
      for (const delivery of batch) {
        // A read from a time starts at the chunk holding it: what was published before is left out.
        const at = publishedAt(delivery.message);
        if (run.from instanceof Date && at && at.getTime() < Math.floor(run.from.getTime() / 1000) * 1000) {
          entries.push({ offset: delivery.offset });
          continue;
        }
        const read = readLoggedEvent(delivery);
        if (!read.ok) {
          this.skip(report, read.offset, read.reason, read.detail);
          entries.push({ offset: read.offset });
          continue;
        }
        entries.push({ offset: read.offset, event: read.event });
        const projector = selection.projectors.find(
          (p) => p.eventClass.type === integrationEventClassOf(read.event).type,
        );
        if (projector) queued.push(toApply(projector, read.event));
      }
      report.eventsApplied += await stores.projections.applyBatch(queued);
      for (const projection of selection.logProjections) {
        const types = projection.eventTypes;
        report.eventsApplied += entries.filter(
          (entry) => entry.event && types.includes(integrationEventClassOf(entry.event).type),
        ).length;
        await stores.positions.applyBatch(projection, entries, report.historyFrom);
      }
      const last = batch[batch.length - 1];
      if (last) run.shadowOffset = last.offset;
      report.lastOffset = run.shadowOffset;
    };
    run.applying = run.applying.then(apply);
    return run.applying;
  }

  private skip(report: RebuildReport, offset: number, reason: string, detail: string): void {
    report.skipped.total++;
    report.skipped.byReason[reason] = (report.skipped.byReason[reason] ?? 0) + 1;
    if (report.skipped.entries.length < SKIPPED_LISTED) report.skipped.entries.push({ offset, reason, detail });
    this.logger.warn(`rebuild ${report.id}: skipped log entry ${offset} (${reason}): ${detail}`);
  }

  /** Whether the fresh tables hold everything the live ones have applied (read without a lock: a hint). */
  private async caughtUpWithLive(run: Run): Promise<boolean> {
    return (await behindLive(this.database.db, freshTablesOf(run))) === undefined;
  }

  /** Resolves once `done()` holds (checked every 50 ms), or after `timeoutMs` anyway; rejects when cancelled. */
  private async until(run: Run, done: () => boolean | Promise<boolean>, timeoutMs = Infinity): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await done())) {
      if (run.cancelled) throw new Error('the event-handler is shutting down');
      if (Date.now() >= deadline) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/** The projector's writes for one event, without the in-process events it returns (a replay publishes none). */
function toApply(projector: Projector, event: IntegrationEvent): EventToApply {
  return {
    eventId: event.eventId,
    type: projector.eventClass.type,
    project: async (tx) => {
      await projector.project(tx, event);
    },
  };
}

/** The swap's view of a rebuild in progress. */
function freshTablesOf(run: Run): FreshTables {
  return {
    selection: run.selection,
    database: run.shadow as EventHandlerDatabase,
    startedAt: run.startedAt,
    from: run.from,
    offset: () => run.shadowOffset,
    skipped: () => run.report.skipped.total,
    historyFrom: () => run.report.historyFrom,
    pause: async () => {
      await run.applying;
      let resume!: () => void;
      const paused = new Promise<void>((resolve) => (resume = resolve));
      run.applying = run.applying.then(() => paused);
      return resume;
    },
    settled: () => run.applying,
  };
}

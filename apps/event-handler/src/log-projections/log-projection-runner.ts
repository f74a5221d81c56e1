import {
  AmqpConnection,
  findStreamTail,
  publishedAt,
  readLoggedEvent,
  StreamReader,
  type StreamDelivery,
} from '@hello/messaging';
import { Topology } from '@hello/contracts';
import { Metrics as PlatformMetrics, Readiness } from '@hello/platform';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { EVENT_HANDLER_CONFIG, type EventHandlerConfig } from '../config/event-handler.config';
import { LOG_PROJECTIONS, type LogProjection } from './log-projection';
import { type LogEntry, LogProjectionStore } from './log-projection-store';

/**
 * `backfilling` until the projection has applied the log up to the tail it saw at start, then `live`;
 * `partial` instead of `live` when the log had already lost entries it had not applied (retention):
 * its history is complete from `historyFrom` only.
 */
export type ProjectionState = 'backfilling' | 'live' | 'partial';

/**
 * What `GET /projections` says of a projection: its runner's state, or `rebuilding` while a rebuild of
 * it runs on this replica (its live tables answer meanwhile).
 */
export type ReportedProjectionState = ProjectionState | 'rebuilding';

/** What `GET /projections` shows of one projection. */
export interface ProjectionStatus {
  readonly name: string;
  /** `log`: fed from the event log; `queue`: fed from event-handler.events (its offset: where its last rebuild stopped). */
  readonly source: 'log' | 'queue';
  readonly state: ReportedProjectionState;
  /** The offset of the last log entry applied; absent before the first. */
  readonly lastOffset?: number;
  readonly lastAppliedAt?: string;
  /** Log entries that were not valid events (unknown type or version, invalid body), skipped. */
  readonly eventsSkipped: number;
  /** Set when `partial`: the publish time of the first entry it holds after what retention dropped. */
  readonly historyFrom?: string;
  /** Log entries after `lastOffset` up to the log's tail (absent when the tail cannot be read now). */
  readonly lag?: number;
}

/** Log entries applied per transaction while catching up (one or a few when live). */
const BATCH_SIZE = 500;
const RESTART_DELAY_MS = 1_000;
/** The log's tail is looked up at most this often for the lag. */
const TAIL_CACHE_MS = 2_000;

interface Tracked {
  readonly projection: LogProjection;
  state: ProjectionState;
  /** The tail when the projection started: it is live once past it. */
  catchUpTo?: number;
  lastOffset?: number;
  lastAppliedAt?: string;
  eventsSkipped: number;
  historyFrom?: string;
  reader?: StreamReader;
  running?: Promise<void>;
}

/**
 * Feeds each LogProjection from the event log: from after its stored position (from the log's first
 * entry on its first start), in batches, following the log's tail. A failure (database, broker)
 * restarts the read from the stored position after a pause, so nothing is applied twice or missed.
 */
@Injectable()
export class LogProjectionRunner implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(LogProjectionRunner.name);
  private readonly tracked: Tracked[];
  private readonly connection: AmqpConnection;
  private closing = false;
  private tailCache?: { at: number; tail: Promise<number | undefined> };

  constructor(
    @Inject(EVENT_HANDLER_CONFIG) private readonly config: EventHandlerConfig,
    private readonly store: LogProjectionStore,
    @Inject(LOG_PROJECTIONS) projections: LogProjection[],
    private readonly readiness: Readiness,
    private readonly metrics: PlatformMetrics,
  ) {
    this.tracked = projections.map((projection) => ({ projection, state: 'backfilling', eventsSkipped: 0 }));
    this.connection = new AmqpConnection({
      url: config.rabbitmqUrl,
      tls: config.rabbitmqTls,
      connectionName: 'event-handler.log',
    });
  }

  onModuleInit(): void {
    // Ready while backfilling (the other queries answer); the report says how far each projection is.
    this.readiness.register({
      name: 'projections',
      check: () => ({ up: true, ...Object.fromEntries(this.tracked.map((t) => [t.projection.name, t.state])) }),
    });
    this.registerMetrics();
  }

  onApplicationBootstrap(): void {
    for (const tracked of this.tracked) tracked.running = this.follow(tracked);
  }

  /**
   * Stops the readers after the batch in hand (its transaction commits or not; the position says
   * which), within the shutdown grace: a reader still waiting for the broker is not waited for.
   */
  async onApplicationShutdown(): Promise<void> {
    this.closing = true;
    for (const tracked of this.tracked) tracked.reader?.stop();
    await this.connection.close();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(this.tracked.map((tracked) => tracked.running)),
      new Promise((resolve) => (timer = setTimeout(resolve, this.config.shutdownGraceMs))),
    ]);
    clearTimeout(timer);
  }

  /** The state of one projection, and from when its history is complete when partial (for its queries). */
  statusOf(name: string): { state: ProjectionState; historyFrom?: string } | undefined {
    const tracked = this.tracked.find((t) => t.projection.name === name);
    return tracked && { state: tracked.state, historyFrom: tracked.historyFrom };
  }

  /** Reads the stored positions of `names` again (a rebuild has replaced them). */
  async refresh(names: readonly string[]): Promise<void> {
    for (const tracked of this.tracked) {
      if (!names.includes(tracked.projection.name)) continue;
      const position = await this.store.position(tracked.projection.name);
      tracked.lastOffset = position?.offset;
      tracked.lastAppliedAt = position?.appliedAt;
      tracked.eventsSkipped = position?.eventsSkipped ?? 0;
      tracked.historyFrom = position?.historyFrom;
      this.updateState(tracked);
    }
  }

  async statuses(): Promise<ProjectionStatus[]> {
    const tail = await this.tail().catch(() => undefined);
    return this.tracked.map((t) => ({
      name: t.projection.name,
      source: 'log',
      state: t.state,
      ...(t.lastOffset === undefined ? {} : { lastOffset: t.lastOffset }),
      ...(t.lastAppliedAt === undefined ? {} : { lastAppliedAt: t.lastAppliedAt }),
      eventsSkipped: t.eventsSkipped,
      ...(t.historyFrom === undefined ? {} : { historyFrom: t.historyFrom }),
      ...(this.connection.isConnected() ? { lag: lagOf(tail, t.lastOffset) } : {}),
    }));
  }

  private async follow(tracked: Tracked): Promise<void> {
    const { name } = tracked.projection;
    while (!this.closing) {
      try {
        const position = await this.store.position(name);
        if (position) {
          tracked.lastOffset = position.offset;
          tracked.lastAppliedAt = position.appliedAt;
          tracked.eventsSkipped = position.eventsSkipped;
          tracked.historyFrom = position.historyFrom;
        }
        if (tracked.catchUpTo === undefined && tracked.state === 'backfilling') {
          await this.connection.connect();
          tracked.catchUpTo = (await findStreamTail(this.connection, Topology.eventLog)) ?? -1;
          this.logger.log(
            tracked.catchUpTo > (tracked.lastOffset ?? -1)
              ? `${name}: backfilling from the event log, offsets ${(tracked.lastOffset ?? -1) + 1} to ${tracked.catchUpTo}`
              : `${name}: live`,
          );
        }
        this.updateState(tracked);
        if (this.closing) return;
        const from = tracked.lastOffset === undefined || tracked.lastOffset < 0 ? 'first' : tracked.lastOffset + 1;
        const reader = new StreamReader({
          url: this.config.rabbitmqUrl,
          tls: this.config.rabbitmqTls,
          connectionName: `event-handler.projection:${name}`,
          stream: Topology.eventLog,
          from,
          until: 'follow',
          prefetch: BATCH_SIZE * 2,
        });
        tracked.reader = reader;
        if (this.closing) return;
        await reader.runBatches((deliveries) => this.apply(tracked, deliveries), BATCH_SIZE);
      } catch (error) {
        if (this.closing) return;
        this.logger.warn(`${name}: reading the event log failed (${(error as Error).message}); resuming in 1 s`);
        await new Promise((resolve) => setTimeout(resolve, RESTART_DELAY_MS));
      }
    }
  }

  private async apply(tracked: Tracked, deliveries: readonly StreamDelivery[]): Promise<void> {
    const entries: LogEntry[] = deliveries.map((delivery) => {
      const read = readLoggedEvent(delivery);
      if (read.ok) return { offset: read.offset, event: read.event };
      this.logger.warn(`${tracked.projection.name}: skipped log entry ${read.offset} (${read.reason}): ${read.detail}`);
      return { offset: read.offset };
    });
    // The log starts (or goes on) after the next entry this projection needs: retention dropped it.
    const first = deliveries[0];
    const expected = Math.max(tracked.lastOffset ?? -1, -1) + 1;
    let historyFrom: string | undefined;
    if (first && first.offset > expected) {
      historyFrom = (publishedAt(first.message) ?? new Date()).toISOString();
      this.logger.warn(
        `${tracked.projection.name}: the event log no longer holds offsets ${expected} to ${first.offset - 1}; ` +
          `complete from ${historyFrom} only (partial)`,
      );
    }
    await this.store.applyBatch(tracked.projection, entries, historyFrom);
    const position = await this.store.position(tracked.projection.name);
    tracked.lastOffset = position?.offset;
    tracked.lastAppliedAt = position?.appliedAt;
    tracked.eventsSkipped = position?.eventsSkipped ?? 0;
    tracked.historyFrom = position?.historyFrom;
    this.updateState(tracked);
  }

  private updateState(tracked: Tracked): void {
    if (tracked.state === 'backfilling') {
      if (tracked.catchUpTo === undefined || (tracked.lastOffset ?? -1) < tracked.catchUpTo) return;
      if (tracked.catchUpTo >= 0)
        this.logger.log(`${tracked.projection.name}: caught up with the log at ${tracked.catchUpTo}`);
    }
    tracked.state = tracked.historyFrom === undefined ? 'live' : 'partial';
  }

  private tail(): Promise<number | undefined> {
    if (!this.tailCache || Date.now() - this.tailCache.at > TAIL_CACHE_MS) {
      const tail = this.connection.isConnected()
        ? findStreamTail(this.connection, Topology.eventLog)
        : Promise.resolve(undefined);
      tail.catch(() => undefined);
      this.tailCache = { at: Date.now(), tail };
    }
    return this.tailCache.tail;
  }

  private registerMetrics(): void {
    const byName = (value: (t: Tracked) => number | undefined) =>
      Object.fromEntries(
        this.tracked.flatMap((t) => {
          const v = value(t);
          return v === undefined ? [] : [[t.projection.name, v]];
        }),
      );
    this.metrics.labelledGaugeFrom(
      'event_handler_projection_live',
      'event-handler: 1 when the projection fed from the event log is live (or partial), 0 while it backfills',
      'projection',
      () => byName((t) => (t.state === 'backfilling' ? 0 : 1)),
    );
    this.metrics.labelledGaugeFrom(
      'event_handler_projection_log_offset',
      'event-handler: the offset of the last event log entry the projection applied',
      'projection',
      () => byName((t) => t.lastOffset),
    );
    this.metrics.labelledGaugeFrom(
      'event_handler_projection_lag_entries',
      "event-handler: event log entries after the projection's last applied one",
      'projection',
      async () =>
        Object.fromEntries((await this.statuses()).flatMap((s) => (s.lag === undefined ? [] : [[s.name, s.lag]]))),
    );
  }
}

function lagOf(tail: number | undefined, lastOffset: number | undefined): number {
  if (tail === undefined) return 0;
  return Math.max(0, tail - (lastOffset ?? -1));
}

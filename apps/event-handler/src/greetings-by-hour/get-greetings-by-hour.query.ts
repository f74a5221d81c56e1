import { Query } from '@nestjs/cqrs';

export interface HourCount {
  /** The hour's start (UTC). */
  readonly hour: string;
  readonly count: number;
}

export interface GreetingsByHour {
  readonly from: string;
  readonly to: string;
  /** Greetings in the hours listed. */
  readonly total: number;
  /** Every hour whose start lies in [from, to), oldest first, zeros included. */
  readonly hours: readonly HourCount[];
  /** Set when the log had lost history before the projection read it: counts before it are incomplete. */
  readonly historyFrom?: string;
}

/** Greetings per UTC hour from `from` (included) to `to` (excluded); fails with ProjectionNotLive while backfilling. */
export class GetGreetingsByHourQuery extends Query<GreetingsByHour> {
  constructor(
    readonly from: Date,
    readonly to: Date,
  ) {
    super();
  }
}

/** A query of a projection that has not caught up with the event log yet (503). */
export class ProjectionNotLive extends Error {
  readonly code = 'projection-not-live';

  constructor(
    readonly projection: string,
    readonly state: string,
  ) {
    super(`the projection ${projection} is ${state}: it answers once it has caught up with the event log`);
    this.name = 'ProjectionNotLive';
  }
}

import { type IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { Kysely } from 'kysely';
import type { EventHandlerSchema } from '../database/database-schema';
import { EventHandlerDatabase } from '../database/event-handler-database';
import { LogProjectionRunner } from '../log-projections/log-projection-runner';
import { GREETINGS_BY_HOUR } from './count-greetings-by-hour.projection';
import {
  GetGreetingsByHourQuery,
  type GreetingsByHour,
  type HourCount,
  ProjectionNotLive,
} from './get-greetings-by-hour.query';

const HOUR_MS = 3_600_000;

@QueryHandler(GetGreetingsByHourQuery)
export class GetGreetingsByHourHandler implements IQueryHandler<GetGreetingsByHourQuery> {
  constructor(
    private readonly database: EventHandlerDatabase,
    private readonly runner: LogProjectionRunner,
  ) {}

  private get db(): Kysely<EventHandlerSchema> {
    return this.database.db;
  }

  async execute({ from, to }: GetGreetingsByHourQuery): Promise<GreetingsByHour> {
    const status = this.runner.statusOf(GREETINGS_BY_HOUR);
    if (!status || status.state === 'backfilling') {
      throw new ProjectionNotLive(GREETINGS_BY_HOUR, status?.state ?? 'backfilling');
    }
    const rows = await this.db
      .selectFrom('greetings_by_hour')
      .selectAll()
      .where('hour', '>=', from.toISOString())
      .where('hour', '<', to.toISOString())
      .execute();
    const counts = new Map(rows.map((row) => [row.hour, Number(row.count)]));
    const hours: HourCount[] = [];
    for (let t = Math.ceil(from.getTime() / HOUR_MS) * HOUR_MS; t < to.getTime(); t += HOUR_MS) {
      const hour = new Date(t).toISOString();
      hours.push({ hour, count: counts.get(hour) ?? 0 });
    }
    return {
      from: from.toISOString(),
      to: to.toISOString(),
      total: hours.reduce((sum, h) => sum + h.count, 0),
      hours,
      ...(status.historyFrom === undefined ? {} : { historyFrom: status.historyFrom }),
    };
  }
}

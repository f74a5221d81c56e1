import { BadRequestException, Controller, Get, Query } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { GetGreetingsByHourQuery, type GreetingsByHour } from './get-greetings-by-hour.query';

const HOUR_MS = 3_600_000;
/** The longest range one query may ask for: 31 days of hours. */
export const MAX_HOURS = 31 * 24;
// An ISO 8601 date, or date and time with a time zone (Z or ±hh:mm).
const ISO_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;

/** Listed before StatsHttpController, so that `greetings/by-hour` is not taken for a name. */
@Controller()
export class GreetingsByHourHttpController {
  constructor(private readonly queryBus: QueryBus) {}

  /**
   * Greetings per UTC hour in [from, to): by default the last 24 hours up to the end of the current
   * one. 400 naming the parameter for a time that is not ISO 8601 with a zone, a range that is
   * empty or reversed, or one longer than MAX_HOURS; 503 while the projection backfills.
   */
  @Get('greetings/by-hour')
  byHour(@Query('from') rawFrom: unknown, @Query('to') rawTo: unknown): Promise<GreetingsByHour> {
    const to = parseTime('to', rawTo) ?? new Date(Math.floor(Date.now() / HOUR_MS) * HOUR_MS + HOUR_MS);
    const from = parseTime('from', rawFrom) ?? new Date(to.getTime() - 24 * HOUR_MS);
    if (from.getTime() >= to.getTime()) {
      throw badRequest(`from (${from.toISOString()}) must be before to (${to.toISOString()})`);
    }
    if (to.getTime() - from.getTime() > MAX_HOURS * HOUR_MS) {
      throw badRequest(`from and to may be at most ${MAX_HOURS} hours (31 days) apart`);
    }
    return this.queryBus.execute(new GetGreetingsByHourQuery(from, to));
  }
}

function parseTime(name: string, raw: unknown): Date | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string') throw badRequest(`${name} must be given once`);
  const time = ISO_TIME.test(raw) ? new Date(raw.length === 10 ? `${raw}T00:00:00Z` : raw) : undefined;
  if (!time || Number.isNaN(time.getTime())) {
    throw badRequest(`${name} must be an ISO 8601 time with a time zone (e.g. 2026-01-31T12:00:00Z), got "${raw}"`);
  }
  return time;
}

function badRequest(message: string): BadRequestException {
  return new BadRequestException({ statusCode: 400, error: 'invalid-query', message });
}

import { BadRequestException, Controller, Get, Query } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '@hello/platform';
import { z } from 'zod';
import { GetGreetingsByHourQuery, type GreetingsByHour } from './get-greetings-by-hour.query';

const hourStart = (description: string) => z.string().meta({ format: 'date-time', description });

const GreetingsByHourSchema = z
  .object({
    from: hourStart('The range asked for, its start included (UTC).'),
    to: hourStart('Its end, excluded (UTC).'),
    total: z.int().min(0).meta({ description: 'Greetings in the hours listed.' }),
    hours: z
      .array(z.object({ hour: hourStart("The hour's start (UTC)."), count: z.int().min(0) }))
      .meta({ description: 'Every hour whose start lies in [from, to), oldest first, zeros included.' }),
    historyFrom: hourStart(
      'Set when the event log had lost history before the projection read it: counts before it are incomplete.',
    ).optional(),
  })
  .meta({ title: 'GreetingsByHour' }) satisfies z.ZodType<GreetingsByHour>;

const HOUR_MS = 3_600_000;
/** The longest range one query may ask for: 31 days of hours. */
export const MAX_HOURS = 31 * 24;
// An ISO 8601 date, or date and time with a time zone (Z or ±hh:mm).
const ISO_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;

/** Listed before StatsHttpController, so that `greetings/by-hour` is not taken for a name. */
@ApiTags('projections')
@Controller()
export class GreetingsByHourHttpController {
  constructor(private readonly queryBus: QueryBus) {}

  /**
   * Greetings per UTC hour in [from, to): by default the last 24 hours up to the end of the current
   * one. 400 naming the parameter for a time that is not ISO 8601 with a zone, a range that is
   * empty or reversed, or one longer than MAX_HOURS; 503 while the projection backfills.
   */
  @Get('greetings/by-hour')
  @ApiOperation({ summary: 'Greetings per UTC hour, from the event log' })
  @ApiQuery({
    name: 'from',
    type: String,
    required: false,
    description: 'ISO 8601 with a zone; default: 24 hours before `to`.',
  })
  @ApiQuery({
    name: 'to',
    type: String,
    required: false,
    description: 'ISO 8601 with a zone; default: the end of the current hour.',
  })
  @ApiOkResponse({ description: 'The counts per hour.', standardSchema: GreetingsByHourSchema })
  @ApiErrors({
    400: 'A time that is not ISO 8601 with a zone, given twice, or a range empty, reversed or over 744 hours (`invalid-query`).',
    503: 'The projection is still backfilling from the event log (`projection-not-live`); Retry-After says when to ask again.',
  })
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

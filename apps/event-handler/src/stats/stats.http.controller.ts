import { Controller, Get, Param } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '@hello/platform';
import { z } from 'zod';
import type { GreetingProjection, Stats } from '../projections/projection-store';
import { GetGreetingQuery } from './get-greeting.query';
import { GetStatsQuery } from './get-stats.query';

const count = () => z.int().min(0);
const timestamp = (description: string) => z.string().meta({ format: 'date-time', description });

const GreetingProjectionSchema = z
  .object({
    name: z.string(),
    count: count(),
    firstGreetedAt: timestamp('The first greeting of the name (UTC).'),
    lastGreetedAt: timestamp('The latest greeting of the name (UTC).'),
  })
  .meta({ title: 'GreetingProjection' }) satisfies z.ZodType<GreetingProjection>;

const StatsSchema = z
  .object({
    greetings: z.object({
      total: count().meta({ description: 'Greetings counted, all names together.' }),
      names: count().meta({ description: 'Distinct names greeted.' }),
      byName: z.array(GreetingProjectionSchema).meta({ description: 'The most recently greeted names.' }),
    }),
    messages: z.object({
      handled: count(),
      last: z.array(
        z.object({ messageId: z.string(), text: z.string(), handledAt: timestamp('When it was handled.') }),
      ),
    }),
    lines: z.object({ received: count() }),
    eventsApplied: count().meta({ description: 'Integration events applied, each event id once.' }),
    outbox: z.object({ pending: count(), sent: count() }),
  })
  .meta({ title: 'Stats' }) satisfies z.ZodType<Stats>;

@ApiTags('projections')
@Controller()
export class StatsHttpController {
  constructor(private readonly queryBus: QueryBus) {}

  @Get('stats')
  @ApiOperation({ summary: 'What the projections hold: greetings, handled messages, lines, the outbox' })
  @ApiOkResponse({ description: 'The projections.', standardSchema: StatsSchema })
  stats(): Promise<Stats> {
    return this.queryBus.execute(new GetStatsQuery());
  }

  /** 404 with a JSON error (see EventHandlerHttpErrorFilter) for a name never greeted. */
  @Get('greetings/:name')
  @ApiOperation({ summary: 'The greetings of one name' })
  @ApiOkResponse({ description: 'How often and when the name was greeted.', standardSchema: GreetingProjectionSchema })
  @ApiErrors({ 404: 'The name was never greeted (`greeting-not-found`).' })
  greeting(@Param('name') name: string): Promise<GreetingProjection> {
    return this.queryBus.execute(new GetGreetingQuery(name));
  }
}

import { Controller, Get, Param } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import type { GreetingProjection, Stats } from '../projections/projection-store';
import { GetGreetingQuery } from './get-greeting.query';
import { GetStatsQuery } from './get-stats.query';

@Controller()
export class StatsHttpController {
  constructor(private readonly queryBus: QueryBus) {}

  @Get('stats')
  stats(): Promise<Stats> {
    return this.queryBus.execute(new GetStatsQuery());
  }

  /** 404 with a JSON error (see EventHandlerHttpErrorFilter) for a name never greeted. */
  @Get('greetings/:name')
  greeting(@Param('name') name: string): Promise<GreetingProjection> {
    return this.queryBus.execute(new GetGreetingQuery(name));
  }
}

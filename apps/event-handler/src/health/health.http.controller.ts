import { Controller, Get, Header, Res } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import type { Response } from 'express';
import { type EventHandlerHealth, GetHealthQuery } from './get-health.query';
import { GetMetricsQuery } from './get-metrics.query';

@Controller()
export class HealthHttpController {
  constructor(private readonly queryBus: QueryBus) {}

  /** 200 while consuming, connected for publishing and the database is open; 503 otherwise. */
  @Get('health')
  async health(@Res({ passthrough: true }) response: Response): Promise<EventHandlerHealth> {
    const health = await this.queryBus.execute(new GetHealthQuery());
    response.status(health.status === 'ok' ? 200 : 503);
    return health;
  }

  @Get('metrics')
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  metrics(): Promise<string> {
    return this.queryBus.execute(new GetMetricsQuery());
  }
}

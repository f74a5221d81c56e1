import { Controller, Get, Res } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import type { Response } from 'express';
import { ConsumerHealth, GetHealthQuery } from './get-health.query';

@Controller('health')
export class HealthHttpController {
  constructor(private readonly queryBus: QueryBus) {}

  /** 200 while consuming and able to publish (not blocked by the broker), 503 otherwise. */
  @Get()
  async health(
    @Res({ passthrough: true }) response: Response,
  ): Promise<ConsumerHealth> {
    const health = await this.queryBus.execute(new GetHealthQuery());
    response.status(health.status === 'ok' ? 200 : 503);
    return health;
  }
}

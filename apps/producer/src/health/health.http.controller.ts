import { Controller, Get, Res } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import type { Response } from 'express';
import { GetHealthQuery, ProducerHealth } from './get-health.query';

@Controller('health')
export class HealthHttpController {
  constructor(private readonly queryBus: QueryBus) {}

  /** 200 while connected to the broker and not blocked by it, 503 otherwise. */
  @Get()
  async health(
    @Res({ passthrough: true }) response: Response,
  ): Promise<ProducerHealth> {
    const health = await this.queryBus.execute(new GetHealthQuery());
    response.status(health.status === 'ok' ? 200 : 503);
    return health;
  }
}

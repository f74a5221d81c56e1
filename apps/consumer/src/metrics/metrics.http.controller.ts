import { Controller, Get } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ConsumerCounters } from './consumer-metrics';
import { GetMetricsQuery } from './get-metrics.query';

@Controller('metrics')
export class MetricsHttpController {
  constructor(private readonly queryBus: QueryBus) {}

  @Get()
  metrics(): Promise<ConsumerCounters> {
    return this.queryBus.execute(new GetMetricsQuery());
  }
}

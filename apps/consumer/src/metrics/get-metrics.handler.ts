import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { ConsumerCounters, ConsumerMetrics } from './consumer-metrics';
import { GetMetricsQuery } from './get-metrics.query';

@QueryHandler(GetMetricsQuery)
export class GetMetricsHandler implements IQueryHandler<GetMetricsQuery> {
  constructor(private readonly metrics: ConsumerMetrics) {}

  async execute(): Promise<ConsumerCounters> {
    return this.metrics.snapshot();
  }
}

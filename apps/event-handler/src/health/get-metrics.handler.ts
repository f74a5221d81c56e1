import { type IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { GetMetricsQuery } from './get-metrics.query';
import { Metrics } from './metrics';

@QueryHandler(GetMetricsQuery)
export class GetMetricsHandler implements IQueryHandler<GetMetricsQuery> {
  constructor(private readonly metrics: Metrics) {}

  async execute(): Promise<string> {
    return this.metrics.render();
  }
}

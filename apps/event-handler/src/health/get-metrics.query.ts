import { Query } from '@nestjs/cqrs';

/** The metrics in the Prometheus text format. */
export class GetMetricsQuery extends Query<string> {}

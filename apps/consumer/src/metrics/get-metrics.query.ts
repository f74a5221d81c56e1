import { Query } from '@nestjs/cqrs';
import { ConsumerCounters } from './consumer-metrics';

export class GetMetricsQuery extends Query<ConsumerCounters> {}

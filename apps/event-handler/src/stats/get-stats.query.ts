import { Query } from '@nestjs/cqrs';
import type { Stats } from '../projections/projection-store';

export class GetStatsQuery extends Query<Stats> {}

import { type IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { ProjectionStore, type Stats } from '../projections/projection-store';
import { GetStatsQuery } from './get-stats.query';

@QueryHandler(GetStatsQuery)
export class GetStatsHandler implements IQueryHandler<GetStatsQuery> {
  constructor(private readonly store: ProjectionStore) {}

  async execute(): Promise<Stats> {
    return this.store.stats();
  }
}

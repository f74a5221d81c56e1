import { type IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { type GreetingProjection, ProjectionStore } from '../projections/projection-store';
import { GetGreetingQuery, GreetingNotFound } from './get-greeting.query';

@QueryHandler(GetGreetingQuery)
export class GetGreetingHandler implements IQueryHandler<GetGreetingQuery> {
  constructor(private readonly store: ProjectionStore) {}

  async execute({ name }: GetGreetingQuery): Promise<GreetingProjection> {
    const greeting = await this.store.greeting(name);
    if (!greeting) throw new GreetingNotFound(name);
    return greeting;
  }
}

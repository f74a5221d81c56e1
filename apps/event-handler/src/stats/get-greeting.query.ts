import { Query } from '@nestjs/cqrs';
import type { GreetingProjection } from '../projections/projection-store';

/** The greetings counted for one name; fails with GreetingNotFound when there are none. */
export class GetGreetingQuery extends Query<GreetingProjection> {
  constructor(readonly name: string) {
    super();
  }
}

export class GreetingNotFound extends Error {
  readonly code = 'greeting-not-found';

  constructor(readonly greetedName: string) {
    super(`no greeting of "${greetedName}" has been counted`);
    this.name = 'GreetingNotFound';
  }
}

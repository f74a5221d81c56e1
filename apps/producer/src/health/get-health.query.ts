import { Query } from '@nestjs/cqrs';

export interface ProducerHealth {
  readonly status: 'ok' | 'unavailable';
  readonly broker: 'connected' | 'disconnected';
  /** While the broker blocks publishing (a resource alarm): the reason it gave. */
  readonly blocked?: string;
}

export class GetHealthQuery extends Query<ProducerHealth> {}

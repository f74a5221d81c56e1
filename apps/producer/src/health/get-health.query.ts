import { Query } from '@nestjs/cqrs';

export interface ProducerHealth {
  readonly status: 'ok' | 'unavailable';
  readonly broker: 'connected' | 'disconnected';
}

export class GetHealthQuery extends Query<ProducerHealth> {}

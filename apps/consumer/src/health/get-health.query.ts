import { Query } from '@nestjs/cqrs';

export interface ConsumerHealth {
  readonly status: 'ok' | 'unavailable';
  /** Connected with a consumer on `hello`. */
  readonly consuming: boolean;
  /** The connection that publishes the effects. */
  readonly publisher: 'connected' | 'disconnected';
  readonly inFlight: number;
}

export class GetHealthQuery extends Query<ConsumerHealth> {}

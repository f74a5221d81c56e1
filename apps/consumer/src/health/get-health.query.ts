import { Query } from '@nestjs/cqrs';

export interface ConsumerHealth {
  readonly status: 'ok' | 'unavailable';
  /** Connected with a consumer on `hello`. */
  readonly consuming: boolean;
  /** The connection that publishes the effects. */
  readonly publisher: 'connected' | 'disconnected';
  readonly inFlight: number;
  /**
   * While the broker blocks a connection of the consumer (a resource alarm, e.g. `low on memory`):
   * the reason it gave. Effects and copies cannot be confirmed meanwhile, so nothing is settled.
   */
  readonly blocked?: string;
}

export class GetHealthQuery extends Query<ConsumerHealth> {}

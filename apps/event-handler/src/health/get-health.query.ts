import { Query } from '@nestjs/cqrs';

export interface EventHandlerHealth {
  readonly status: 'ok' | 'unavailable';
  /** Consuming `event-handler.events` (false while draining at shutdown). */
  readonly consumer: 'consuming' | 'stopped';
  readonly publisher: 'connected' | 'disconnected';
  readonly database: 'open' | 'closed';
  /** While the broker blocks a connection of the event-handler (a resource alarm): the reason it gave. */
  readonly blocked?: string;
}

export class GetHealthQuery extends Query<EventHandlerHealth> {}

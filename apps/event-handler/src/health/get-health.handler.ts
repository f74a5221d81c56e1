import { AmqpServer } from '@hello/messaging';
import { type IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { EventHandlerBroker } from '../messaging/event-handler-broker';
import { ProjectionStore } from '../projections/projection-store';
import { type EventHandlerHealth, GetHealthQuery } from './get-health.query';

@QueryHandler(GetHealthQuery)
export class GetHealthHandler implements IQueryHandler<GetHealthQuery> {
  constructor(
    private readonly amqpServer: AmqpServer,
    private readonly broker: EventHandlerBroker,
    private readonly store: ProjectionStore,
  ) {}

  async execute(): Promise<EventHandlerHealth> {
    const consumer = this.amqpServer.isConsuming() ? 'consuming' : 'stopped';
    const publisher = this.broker.isConnected() ? 'connected' : 'disconnected';
    const database = this.store.isOpen ? 'open' : 'closed';
    const blocked = this.amqpServer.blocked ?? this.broker.connection.blocked;
    const ok = consumer === 'consuming' && publisher === 'connected' && database === 'open' && !blocked;
    return { status: ok ? 'ok' : 'unavailable', consumer, publisher, database, ...(blocked ? { blocked } : {}) };
  }
}

import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { ProducerBroker } from '../messaging/producer-broker';
import { GetHealthQuery, ProducerHealth } from './get-health.query';

@QueryHandler(GetHealthQuery)
export class GetHealthHandler implements IQueryHandler<GetHealthQuery> {
  constructor(private readonly broker: ProducerBroker) {}

  async execute(): Promise<ProducerHealth> {
    const connected = this.broker.isConnected();
    const blocked = this.broker.blocked;
    return {
      status: connected && !blocked ? 'ok' : 'unavailable',
      broker: connected ? 'connected' : 'disconnected',
      ...(blocked ? { blocked } : {}),
    };
  }
}

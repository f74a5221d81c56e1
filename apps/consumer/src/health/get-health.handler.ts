import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { AmqpServer } from '@hello/messaging';
import { ConsumerBroker } from '../messaging/consumer-broker';
import { ConsumerHealth, GetHealthQuery } from './get-health.query';

@QueryHandler(GetHealthQuery)
export class GetHealthHandler implements IQueryHandler<GetHealthQuery> {
  constructor(
    private readonly server: AmqpServer,
    private readonly broker: ConsumerBroker,
  ) {}

  async execute(): Promise<ConsumerHealth> {
    const consuming = this.server.isConsuming();
    const publisher = this.broker.connection.isConnected()
      ? 'connected'
      : 'disconnected';
    const blocked = this.server.blocked ?? this.broker.connection.blocked;
    return {
      status:
        consuming && publisher === 'connected' && !blocked ? 'ok' : 'unavailable',
      consuming,
      publisher,
      inFlight: this.server.inFlightCount,
      ...(blocked ? { blocked } : {}),
    };
  }
}

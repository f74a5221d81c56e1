import { AmqpServer } from '@hello/messaging';
import { brokerCheck, consumerCheck, publisherCheck, Readiness } from '@hello/platform';
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { EventHandlerBroker } from '../messaging/event-handler-broker';
import { ProjectionStore } from '../projections/projection-store';

/**
 * Ready while the events queue has its consumer, the publishing connection and its confirm channel
 * are up, and the projection database is open.
 */
@Injectable()
export class EventHandlerReadiness implements OnModuleInit {
  constructor(
    private readonly readiness: Readiness,
    private readonly server: AmqpServer,
    private readonly broker: EventHandlerBroker,
    private readonly store: ProjectionStore,
  ) {}

  onModuleInit(): void {
    this.readiness.register(
      consumerCheck(this.server),
      brokerCheck(this.broker.connection),
      publisherCheck('event-handler', this.broker.publisher),
      {
        name: 'database',
        // Asks the database (PostgreSQL or the SQLite file) for an answer, not just whether it is open.
        check: async () => {
          if (!this.store.isOpen) return { up: false, reason: 'projection database closed' };
          await this.store.ping();
          return { up: true };
        },
      },
    );
  }
}

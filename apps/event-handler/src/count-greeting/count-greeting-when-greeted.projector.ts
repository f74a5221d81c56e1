import { GreetingGreetedIntegrationEvent } from '@hello/contracts';
import { Injectable } from '@nestjs/common';
import type { ProjectionTransaction } from '../projections/projection-store';
import type { Projector, ProjectionTables } from '../projections/projector';
import { welcomeMessageFor } from '../welcome-new-name/welcome-message';
import { GreetingCountedEvent } from './greeting-counted.event';

/**
 * Counts a greeting per name. The first greeting of a name also queues its welcome message in
 * the outbox, in the same transaction, so the welcome cannot be lost between the count and the
 * send (see welcome-new-name/).
 */
@Injectable()
export class CountGreetingWhenGreeted implements Projector<GreetingGreetedIntegrationEvent> {
  readonly eventClass = GreetingGreetedIntegrationEvent;
  readonly projection = 'greetings';
  readonly owns: ProjectionTables = { tables: ['greetings'], counters: [] };

  async project(tx: ProjectionTransaction, event: GreetingGreetedIntegrationEvent): Promise<GreetingCountedEvent[]> {
    const count = await tx.countGreeting(event.name, event.greetedAt);
    let welcomeMessageId: string | null = null;
    if (count === 1) {
      const welcome = welcomeMessageFor(event);
      await tx.addOutboxMessage(welcome);
      welcomeMessageId = welcome.messageId;
    }
    return [new GreetingCountedEvent(event.eventId, event.name, count, event.greetedAt, welcomeMessageId)];
  }
}

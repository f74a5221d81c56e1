import type { IntegrationEvent, IntegrationEventClass } from '@hello/contracts';
import type { IEvent } from '@nestjs/cqrs';
import type { ProjectionTransaction } from './projection-store';

/**
 * Applies one type of integration event to the read models. `project` runs inside the inbox
 * transaction and must make its writes through `tx` only, so that they and the inbox row commit
 * or roll back together. It resolves to the in-process events to publish on the EventBus once
 * the transaction has committed.
 */
export interface Projector<E extends IntegrationEvent = IntegrationEvent> {
  readonly eventClass: IntegrationEventClass<E>;
  project(tx: ProjectionTransaction, event: E): Promise<IEvent[]>;
}

/** Injection token of the list of every Projector. */
export const PROJECTORS = Symbol('PROJECTORS');

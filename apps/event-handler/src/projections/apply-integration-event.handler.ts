import { type IntegrationEvent, integrationEventClassOf } from '@hello/contracts';
import { Inject, Logger } from '@nestjs/common';
import { CommandHandler, EventBus, type ICommandHandler } from '@nestjs/cqrs';
import { EventHandlerMetrics } from '../health/event-handler-metrics';
import { ApplyIntegrationEventCommand, type ApplyIntegrationEventResult } from './apply-integration-event.command';
import { ProjectionStore } from './projection-store';
import { PROJECTORS, type Projector } from './projector';

/**
 * Runs the projector of the event's type and records the event id in the inbox, in one
 * transaction; only after the commit are the projector's in-process events published. The
 * command resolves once the projections are durable and rejects when they could not be written,
 * which is what lets the AMQP adapter acknowledge after success and retry after failure.
 */
@CommandHandler(ApplyIntegrationEventCommand)
export class ApplyIntegrationEventHandler implements ICommandHandler<ApplyIntegrationEventCommand> {
  private readonly logger = new Logger(ApplyIntegrationEventHandler.name);
  private readonly projectors: ReadonlyMap<string, Projector>;

  constructor(
    private readonly store: ProjectionStore,
    private readonly eventBus: EventBus,
    private readonly metrics: EventHandlerMetrics,
    @Inject(PROJECTORS) projectors: Projector[],
  ) {
    const byType = new Map<string, Projector>();
    for (const projector of projectors) {
      const type = projector.eventClass.type;
      if (byType.has(type)) throw new Error(`Two projectors for the event type "${type}"`);
      byType.set(type, projector);
    }
    this.projectors = byType;
  }

  async execute({ event }: ApplyIntegrationEventCommand): Promise<ApplyIntegrationEventResult> {
    const { type } = integrationEventClassOf(event);
    const projector = this.projectors.get(type);
    if (!projector) throw new Error(`No projector found for the event type "${type}"`);
    const result = await this.store.applyOnce(event.eventId, type, (tx) =>
      projector.project(tx, event as IntegrationEvent),
    );
    if (!result.applied) {
      this.metrics.increment('events_duplicate_total', { type });
      this.logger.debug(`${type} ${event.eventId} was applied before: skipped`);
      return { applied: false };
    }
    this.metrics.increment('events_applied_total', { type });
    this.eventBus.publishAll(result.value);
    return { applied: true };
  }
}

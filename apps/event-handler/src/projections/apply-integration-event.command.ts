import type { IntegrationEvent } from '@hello/contracts';
import { Command } from '@nestjs/cqrs';

export interface ApplyIntegrationEventResult {
  /** False when the inbox already held the event id: a duplicate, nothing changed. */
  readonly applied: boolean;
}

/** Apply a validated integration event to the projections, once per event id. */
export class ApplyIntegrationEventCommand extends Command<ApplyIntegrationEventResult> {
  constructor(readonly event: IntegrationEvent) {
    super();
  }
}

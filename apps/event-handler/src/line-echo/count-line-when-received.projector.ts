import { LineReceivedIntegrationEvent } from '@hello/contracts';
import { Injectable } from '@nestjs/common';
import { LINES_RECEIVED, type ProjectionTransaction } from '../projections/projection-store';
import type { Projector, ProjectionTables } from '../projections/projector';
import { LineCountedEvent } from './line-counted.event';

/**
 * Counts lines received by the line echo. They arrive through the broker like every other event
 * (the echo publishes, the queue brings them back), so each line is counted once, by this path.
 */
@Injectable()
export class CountLineWhenReceived implements Projector<LineReceivedIntegrationEvent> {
  readonly eventClass = LineReceivedIntegrationEvent;
  readonly projection = 'lines';
  readonly owns: ProjectionTables = { tables: [], counters: [LINES_RECEIVED] };

  async project(tx: ProjectionTransaction, event: LineReceivedIntegrationEvent): Promise<LineCountedEvent[]> {
    const linesReceived = await tx.countLine();
    return [new LineCountedEvent(event.eventId, event.remoteAddress, linesReceived)];
  }
}

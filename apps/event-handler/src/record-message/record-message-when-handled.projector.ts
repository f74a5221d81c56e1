import { MessageHandledIntegrationEvent } from '@hello/contracts';
import { Injectable } from '@nestjs/common';
import { MESSAGES_HANDLED, type ProjectionTransaction } from '../projections/projection-store';
import type { Projector, ProjectionTables } from '../projections/projector';
import { MessageRecordedEvent } from './message-recorded.event';

/**
 * Counts handled messages and keeps the latest ones. Welcome messages come back here too (the
 * consumer handles them like any other): they only count, they greet nobody, so nothing loops.
 */
@Injectable()
export class RecordMessageWhenHandled implements Projector<MessageHandledIntegrationEvent> {
  readonly eventClass = MessageHandledIntegrationEvent;
  readonly projection = 'messages';
  readonly owns: ProjectionTables = { tables: ['recent_messages'], counters: [MESSAGES_HANDLED] };

  async project(tx: ProjectionTransaction, event: MessageHandledIntegrationEvent): Promise<MessageRecordedEvent[]> {
    await tx.recordHandledMessage(event.eventId, {
      messageId: event.messageId,
      text: event.text,
      handledAt: event.handledAt,
    });
    return [new MessageRecordedEvent(event.eventId, event.messageId, event.handledAt)];
  }
}

import { MessageHandledIntegrationEvent } from '@hello/contracts';
import { Injectable } from '@nestjs/common';
import type { ProjectionTransaction } from '../projections/projection-store';
import type { Projector } from '../projections/projector';
import { MessageRecordedEvent } from './message-recorded.event';

/**
 * Counts handled messages and keeps the latest ones. Welcome messages come back here too (the
 * consumer handles them like any other): they only count, they greet nobody, so nothing loops.
 */
@Injectable()
export class RecordMessageWhenHandled implements Projector<MessageHandledIntegrationEvent> {
  readonly eventClass = MessageHandledIntegrationEvent;

  async project(tx: ProjectionTransaction, event: MessageHandledIntegrationEvent): Promise<MessageRecordedEvent[]> {
    await tx.recordHandledMessage(event.eventId, {
      messageId: event.messageId,
      text: event.text,
      handledAt: event.handledAt,
    });
    return [new MessageRecordedEvent(event.eventId, event.messageId, event.handledAt)];
  }
}

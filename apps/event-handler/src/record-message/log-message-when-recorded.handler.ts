import { Logger } from '@nestjs/common';
import { EventsHandler, type IEventHandler } from '@nestjs/cqrs';
import { MessageRecordedEvent } from './message-recorded.event';

@EventsHandler(MessageRecordedEvent)
export class LogMessageWhenRecorded implements IEventHandler<MessageRecordedEvent> {
  private readonly logger = new Logger(LogMessageWhenRecorded.name);

  handle(event: MessageRecordedEvent): void {
    this.logger.debug(`message ${event.messageId} handled at ${event.handledAt} recorded`);
  }
}

import { Logger } from '@nestjs/common';
import { EventsHandler, type IEventHandler } from '@nestjs/cqrs';
import { MessageRecordedEvent } from './message-recorded.event';

@EventsHandler(MessageRecordedEvent)
export class LogMessageWhenRecordedHandler implements IEventHandler<MessageRecordedEvent> {
  private readonly logger = new Logger(LogMessageWhenRecordedHandler.name);

  handle(event: MessageRecordedEvent): void {
    this.logger.debug(`message ${event.messageId} handled at ${event.handledAt} recorded`);
  }
}

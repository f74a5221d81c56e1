import { Logger } from '@nestjs/common';
import { EventsHandler, type IEventHandler } from '@nestjs/cqrs';
import { LineCountedEvent } from './line-counted.event';

@EventsHandler(LineCountedEvent)
export class LogLineWhenCountedHandler implements IEventHandler<LineCountedEvent> {
  private readonly logger = new Logger(LogLineWhenCountedHandler.name);

  handle(event: LineCountedEvent): void {
    // One line per TCP line would drown the log; debug level keeps it available.
    this.logger.debug(`line from ${event.remoteAddress} counted (${event.linesReceived} so far)`);
  }
}

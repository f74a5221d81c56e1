import { Logger } from '@nestjs/common';
import { EventsHandler, type IEventHandler } from '@nestjs/cqrs';
import { GreetingCountedEvent } from './greeting-counted.event';

@EventsHandler(GreetingCountedEvent)
export class LogGreetingWhenCountedHandler implements IEventHandler<GreetingCountedEvent> {
  private readonly logger = new Logger(LogGreetingWhenCountedHandler.name);

  handle(event: GreetingCountedEvent): void {
    const times = event.count === 1 ? 'for the first time' : `${event.count} times`;
    this.logger.debug(`"${event.name}" greeted ${times} (event ${event.eventId})`);
  }
}

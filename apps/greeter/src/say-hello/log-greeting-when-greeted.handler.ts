import { Logger } from '@nestjs/common';
import { EventsHandler, type IEventHandler } from '@nestjs/cqrs';
import { GreetedEvent } from './greeted.event';

// Debug level: one line per greeting is noise at the rate a gRPC server answers, so it shows
// only with GREETER_LOG_LEVEL=debug (the logger skips the formatting when the level is off).
@EventsHandler(GreetedEvent)
export class LogGreetingWhenGreetedHandler implements IEventHandler<GreetedEvent> {
  private readonly logger = new Logger(LogGreetingWhenGreetedHandler.name);

  handle(event: GreetedEvent): void {
    this.logger.debug(`greeted ${JSON.stringify(event.name)}: ${JSON.stringify(event.message)}`);
  }
}

import { Logger } from '@nestjs/common';
import { EventsHandler, type IEventHandler } from '@nestjs/cqrs';
import { GreetedEvent } from './greeted.event';

// Debug level: one line per greeting is noise at the rate a gRPC server answers, so it shows
// only with LOG_LEVEL=debug. The level is checked first so that, with debug off, a
// greeting costs no string building at all.
@EventsHandler(GreetedEvent)
export class LogGreetingWhenGreetedHandler implements IEventHandler<GreetedEvent> {
  private readonly logger = new Logger(LogGreetingWhenGreetedHandler.name);

  handle(event: GreetedEvent): void {
    if (!Logger.isLevelEnabled('debug')) return;
    this.logger.debug(`greeted ${JSON.stringify(event.name)}: ${JSON.stringify(event.message)}`);
  }
}

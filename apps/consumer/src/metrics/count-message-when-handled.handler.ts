import { EventsHandler, IEventHandler } from '@nestjs/cqrs';
import { MessageHandledEvent } from '../handle-message/message-handled.event';
import { ConsumerMetrics } from './consumer-metrics';

@EventsHandler(MessageHandledEvent)
export class CountMessageWhenHandledHandler
  implements IEventHandler<MessageHandledEvent>
{
  constructor(private readonly metrics: ConsumerMetrics) {}

  handle(): void {
    this.metrics.countHandled();
  }
}

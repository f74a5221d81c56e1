import { integrationEventMessage, LineReceivedIntegrationEvent } from '@hello/contracts';
import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { EventHandlerMetrics } from '../health/event-handler-metrics';
import { MESSAGE_PUBLISHER, type MessagePublisher } from '../messaging/message-publisher';
import { PublishLineReceivedCommand } from './publish-line-received.command';

/**
 * Publishes the line to `hello.events`. It is not applied here: the lines projection counts it
 * when it comes back through the event-handler's queue, the one path every event takes.
 */
@CommandHandler(PublishLineReceivedCommand)
export class PublishLineReceivedHandler implements ICommandHandler<PublishLineReceivedCommand> {
  constructor(
    @Inject(MESSAGE_PUBLISHER) private readonly publisher: MessagePublisher,
    private readonly metrics: EventHandlerMetrics,
  ) {}

  async execute(command: PublishLineReceivedCommand): Promise<void> {
    const event = LineReceivedIntegrationEvent.create({
      line: command.line,
      remoteAddress: command.remoteAddress,
      receivedAt: command.receivedAt,
    });
    try {
      await this.publisher.publish(integrationEventMessage(event));
    } catch (error) {
      this.metrics.increment('line_events_publish_failures_total');
      throw error;
    }
    this.metrics.increment('line_events_published_total');
  }
}

import { Logger } from '@nestjs/common';
import { CommandHandler, EventBus, ICommandHandler } from '@nestjs/cqrs';
import { MessageHandledIntegrationEvent } from '@hello/contracts';
import { HandleMessageCommand } from './handle-message.command';
import { MessageHandledEvent } from './message-handled.event';
import { MessageHandledPublisher } from './message-handled.publisher';

/**
 * Handles a hello message: logs it as RabbitMQ's tutorial does, publishes its effect (confirmed, so
 * the message is acked only once the effect is safe), then tells the rest of the app on the EventBus.
 * A failure anywhere throws, and the AMQP policy retries the message.
 */
@CommandHandler(HandleMessageCommand)
export class HandleMessageHandler implements ICommandHandler<HandleMessageCommand> {
  private readonly logger = new Logger(HandleMessageHandler.name);

  constructor(
    private readonly effects: MessageHandledPublisher,
    private readonly eventBus: EventBus,
  ) {}

  async execute(command: HandleMessageCommand): Promise<void> {
    this.logger.log(` [x] Received ${command.text}`);
    const handledAt = new Date();
    const effect = MessageHandledIntegrationEvent.create({
      messageId: command.messageId,
      text: command.text,
      handledAt,
    });
    await this.effects.publish(effect);
    this.eventBus.publish(new MessageHandledEvent(command.messageId, command.text, handledAt, effect.eventId));
  }
}

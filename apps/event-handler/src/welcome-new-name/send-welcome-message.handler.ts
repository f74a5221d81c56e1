import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { OutboxRelay } from '../outbox/outbox-relay';
import { SendWelcomeMessageCommand } from './send-welcome-message.command';

/**
 * Sends the welcome now rather than at the next outbox sweep. A failure does not throw: the
 * message stays in the outbox and the relay retries it.
 */
@CommandHandler(SendWelcomeMessageCommand)
export class SendWelcomeMessageHandler implements ICommandHandler<SendWelcomeMessageCommand> {
  constructor(private readonly relay: OutboxRelay) {}

  execute(command: SendWelcomeMessageCommand): Promise<boolean> {
    return this.relay.send(command.messageId);
  }
}

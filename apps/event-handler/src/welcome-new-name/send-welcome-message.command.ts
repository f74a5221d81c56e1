import { Command } from '@nestjs/cqrs';

/** Publish the welcome message queued in the outbox; resolves true once the broker confirmed it. */
export class SendWelcomeMessageCommand extends Command<boolean> {
  constructor(readonly messageId: string) {
    super();
  }
}

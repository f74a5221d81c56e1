import { Command } from '@nestjs/cqrs';

/** Queue one hello message; resolves with its message id once the broker has confirmed it. */
export class PublishMessageCommand extends Command<{ readonly id: string }> {
  constructor(
    readonly text: string,
    readonly correlationId?: string,
  ) {
    super();
  }
}

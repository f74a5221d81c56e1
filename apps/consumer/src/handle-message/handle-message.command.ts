import { Command } from '@nestjs/cqrs';

/** Handle one message of the `hello` queue. */
export class HandleMessageCommand extends Command<void> {
  constructor(
    readonly messageId: string,
    readonly text: string,
  ) {
    super();
  }
}

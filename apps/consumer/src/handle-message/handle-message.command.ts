import { Command } from '@nestjs/cqrs';

/** Handle one message of the `hello` queue. */
export class HandleMessageCommand extends Command<void> {
  constructor(
    readonly messageId: string,
    readonly text: string,
    /** W3C traceparent of the message, continued by what the handling emits. */
    readonly traceparent?: string,
  ) {
    super();
  }
}

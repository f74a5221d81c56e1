import { Command } from '@nestjs/cqrs';
import type { HelloReply } from '@hello/contracts';

/** Ask the greeter to greet `name` over AMQP request/reply; resolves with its reply. */
export class GreetCommand extends Command<HelloReply> {
  constructor(
    /** As the caller sent it; the greeter validates it (and answers an error reply when it is bad). */
    readonly name: unknown,
  ) {
    super();
  }
}

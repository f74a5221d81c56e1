import { Command } from '@nestjs/cqrs';
import type { HelloReply } from '@hello/contracts';

/** Greet one name, as sent in a HelloRequest (not yet validated). */
export class SayHelloCommand extends Command<HelloReply> {
  constructor(
    readonly name: string,
  ) {
    super();
  }
}

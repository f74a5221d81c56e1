import { Command } from '@nestjs/cqrs';
import type { HelloReply } from '@hello/contracts';

/** Greet one name, as sent in a HelloRequest (not yet validated). */
export class SayHelloCommand extends Command<HelloReply> {
  constructor(
    readonly name: string,
    /** The W3C traceparent the caller sent with the call, if any. */
    readonly traceparent?: string,
  ) {
    super();
  }
}

import { Command } from '@nestjs/cqrs';
import type { HelloReply } from '@hello/contracts';

/** Greet one name, as sent in a HelloRequest (not yet validated). */
export class SayHelloCommand extends Command<HelloReply> {
  constructor(
    readonly name: string,
    /**
     * A stable id of the request when the transport can deliver it more than once (AMQP): the
     * greeting's event id is derived from it, so that a repeat is recognised downstream.
     */
    readonly requestId?: string,
  ) {
    super();
  }
}

import { Command } from '@nestjs/cqrs';

/** Publish a line received by the echo as a `line.received` integration event. */
export class PublishLineReceivedCommand extends Command<void> {
  constructor(
    readonly line: string,
    readonly remoteAddress: string,
    readonly receivedAt: Date,
  ) {
    super();
  }
}

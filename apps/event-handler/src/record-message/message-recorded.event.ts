/** A handled message was recorded in the messages projection (after the commit). */
export class MessageRecordedEvent {
  constructor(
    readonly eventId: string,
    readonly messageId: string,
    readonly handledAt: string,
  ) {}
}

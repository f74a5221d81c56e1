/** A greeting was counted (after the commit). `welcomeMessageId` is set for a name's first one. */
export class GreetingCountedEvent {
  constructor(
    readonly eventId: string,
    readonly name: string,
    /** Greetings of `name` counted so far, this one included. */
    readonly count: number,
    readonly greetedAt: string,
    /** The welcome message queued in the outbox in the same transaction, if this was the first. */
    readonly welcomeMessageId: string | null,
  ) {}
}

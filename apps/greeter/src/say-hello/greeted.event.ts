/** A greeting was made and sent (or is being sent) to a caller. */
export class GreetedEvent {
  constructor(
    readonly name: string,
    readonly message: string,
    readonly greetedAt: Date,
    /** The integration event's id when it must be stable (derived from a request id); else a new one. */
    readonly eventId?: string,
  ) {}
}

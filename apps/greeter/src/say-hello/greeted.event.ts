/** A greeting was made and sent (or is being sent) to a caller. */
export class GreetedEvent {
  constructor(
    readonly name: string,
    readonly message: string,
    readonly greetedAt: Date,
  ) {}
}

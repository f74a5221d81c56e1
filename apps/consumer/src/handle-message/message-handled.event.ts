/** A message of the `hello` queue was handled; its downstream effect carries `effectId`. */
export class MessageHandledEvent {
  constructor(
    readonly messageId: string,
    readonly text: string,
    readonly handledAt: Date,
    /** Id of the effect (the `message.handled` integration event), derived from messageId. */
    readonly effectId: string,
  ) {}
}

/** A received line was counted in the lines projection (after the commit). */
export class LineCountedEvent {
  constructor(
    readonly eventId: string,
    readonly remoteAddress: string,
    /** Lines counted so far, this one included. */
    readonly linesReceived: number,
  ) {}
}

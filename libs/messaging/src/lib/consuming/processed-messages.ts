/**
 * A bounded memory of message ids whose handling has finished (handled or dead-lettered), oldest
 * forgotten first. It lets a consumer ack a redelivered or re-published duplicate without handling it
 * again, as long as the duplicate arrives within the last `capacity` messages and in the same process.
 */
export class ProcessedMessages {
  private readonly ids = new Set<string>();

  constructor(readonly capacity: number) {}

  has(id: string): boolean {
    return this.ids.has(id);
  }

  add(id: string): void {
    if (this.capacity <= 0) return;
    this.ids.delete(id);
    this.ids.add(id);
    while (this.ids.size > this.capacity) {
      // A Set iterates in insertion order: the first id is the oldest.
      this.ids.delete(this.ids.values().next().value as string);
    }
  }

  get size(): number {
    return this.ids.size;
  }
}

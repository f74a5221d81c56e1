import type { ConsumeMessage } from 'amqplib';
import { REDRIVEN_HEADER } from '../dead-letters/dead-letter-queue';

/**
 * What a delivery is de-duplicated on: its publisher's messageId. Without one there is nothing stable
 * to de-duplicate on (undefined: the message is handled at least once). A message re-driven from its
 * dead-letter queue is handled again, though its id was handled (dead-lettered) before: each re-drive
 * counts as a message of its own.
 */
export function deduplicationKeyOf(message: ConsumeMessage): string | undefined {
  const messageId = message.properties.messageId as string | undefined;
  const redriven = Number(message.properties.headers?.[REDRIVEN_HEADER] ?? 0);
  return messageId && Number.isInteger(redriven) && redriven > 0
    ? `${messageId}\0redriven ${redriven}`
    : messageId || undefined;
}

/**
 * A bounded memory of message ids whose handling has finished (handled or dead-lettered), oldest
 * forgotten first. It lets a consumer ack a redelivered or re-published duplicate without handling it
 * again, as long as the duplicate arrives within the last `capacity` messages and in the same process.
 */
export class ProcessedMessages {
  /** Each remembered id with the number of its latest `add`. */
  private readonly latestAdd = new Map<string, number>();
  /**
   * The adds in order, oldest at `head`: id and number. An add whose id was added again later is
   * stale and skipped when its turn to be forgotten comes. (Forgetting the first id of a Set instead
   * gets slower and slower: a Set keeps the holes of deleted entries at its front until it is
   * rehashed, and finding its first id scans them; at 10,000 ids that cost 5 µs per add.)
   */
  private ids: string[] = [];
  private numbers: number[] = [];
  private head = 0;
  private nextNumber = 0;

  constructor(readonly capacity: number) {}

  has(id: string): boolean {
    return this.latestAdd.has(id);
  }

  add(id: string): void {
    if (this.capacity <= 0) return;
    const number = this.nextNumber++;
    this.latestAdd.set(id, number);
    this.ids.push(id);
    this.numbers.push(number);
    while (this.latestAdd.size > this.capacity) {
      const oldest = this.ids[this.head];
      if (this.latestAdd.get(oldest) === this.numbers[this.head]) this.latestAdd.delete(oldest);
      this.head++;
    }
    if (this.head > this.capacity || this.ids.length - this.head > 2 * this.capacity) this.compact();
  }

  get size(): number {
    return this.latestAdd.size;
  }

  /** Keeps only the adds still current; runs once per `capacity` adds or so. */
  private compact(): void {
    const ids: string[] = [];
    const numbers: number[] = [];
    for (let i = this.head; i < this.ids.length; i++) {
      if (this.latestAdd.get(this.ids[i]) === this.numbers[i]) {
        ids.push(this.ids[i]);
        numbers.push(this.numbers[i]);
      }
    }
    this.ids = ids;
    this.numbers = numbers;
    this.head = 0;
  }
}

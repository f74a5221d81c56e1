import type { ConsumeMessage } from 'amqplib';
import { MessageHeaders } from '@hello/contracts';
import { BoundedMap } from '../memory/bounded-map';

/**
 * What a delivery is de-duplicated on: its publisher's messageId. Without one there is nothing stable
 * to de-duplicate on (undefined: the message is handled at least once). A message re-driven from its
 * dead-letter queue is handled again, though its id was handled (dead-lettered) before: each re-drive
 * counts as a message of its own.
 */
export function deduplicationKeyOf(message: ConsumeMessage): string | undefined {
  const messageId = message.properties.messageId as string | undefined;
  const redriven = Number(message.properties.headers?.[MessageHeaders.redriven] ?? 0);
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
  private readonly ids: BoundedMap<true>;

  constructor(readonly capacity: number) {
    this.ids = new BoundedMap(capacity);
  }

  has(id: string): boolean {
    return this.ids.has(id);
  }

  add(id: string): void {
    this.ids.set(id, true);
  }

  get size(): number {
    return this.ids.size;
  }
}

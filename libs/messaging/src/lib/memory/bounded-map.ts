/**
 * A map that keeps at most `capacity` entries, forgetting the oldest insert first (no LRU refresh on
 * reads): the consumer's processed message ids, the RPC server's replies, the RPC client's calls.
 *
 * Keys are queued in an array with a moving head, compacted now and then, so that forgetting stays
 * O(1). A key set again later makes its earlier place in the queue stale, skipped when its turn to be
 * forgotten comes. (Forgetting a Map's first key instead gets slower and slower: a Map keeps the holes
 * of deleted entries at its front until it is rehashed, and finding its first key scans them; at
 * 10,000 keys that cost 5 µs per insert.)
 */
export class BoundedMap<V> {
  private readonly entries = new Map<string, { value: V; number: number }>();
  private keys: string[] = [];
  private numbers: number[] = [];
  private head = 0;
  private nextNumber = 0;

  constructor(readonly capacity: number) {}

  get(key: string): V | undefined {
    return this.entries.get(key)?.value;
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  set(key: string, value: V): void {
    if (this.capacity <= 0) return;
    const number = this.nextNumber++;
    this.entries.set(key, { value, number });
    this.keys.push(key);
    this.numbers.push(number);
    while (this.entries.size > this.capacity) {
      const oldest = this.keys[this.head];
      if (this.entries.get(oldest)?.number === this.numbers[this.head]) this.entries.delete(oldest);
      this.head++;
    }
    if (this.head > this.capacity || this.keys.length - this.head > 2 * this.capacity) this.compact();
  }

  delete(key: string): boolean {
    return this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }

  private compact(): void {
    const keys: string[] = [];
    const numbers: number[] = [];
    for (let i = this.head; i < this.keys.length; i++) {
      if (this.entries.get(this.keys[i])?.number === this.numbers[i]) {
        keys.push(this.keys[i]);
        numbers.push(this.numbers[i]);
      }
    }
    this.keys = keys;
    this.numbers = numbers;
    this.head = 0;
  }
}

/**
 * Runs tasks of one key one after the other, tasks of different keys side by side. A redelivery can
 * arrive while the first delivery of the same message is still being handled (its channel died):
 * keyed by message id, the second waits and then sees the first as processed.
 */
export class SerialPerKey {
  private readonly running = new Map<string, Promise<void>>();

  async run(key: string, task: () => Promise<void>): Promise<void> {
    const previous = this.running.get(key);
    const current = previous ? previous.then(task) : task();
    this.running.set(key, current);
    try {
      await current;
    } finally {
      if (this.running.get(key) === current) this.running.delete(key);
    }
  }
}

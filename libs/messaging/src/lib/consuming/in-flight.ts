import { settledWithin } from '../timing/settled-within';

/** The deliveries being handled or settled right now, and a bounded wait for them at shutdown. */
export class InFlight {
  private readonly tasks = new Set<Promise<void>>();

  get size(): number {
    return this.tasks.size;
  }

  /** Counts `task` in until it settles; `task` must not reject. */
  track(task: Promise<void>): void {
    this.tasks.add(task);
    void task.finally(() => this.tasks.delete(task));
  }

  /**
   * Waits until nothing is in flight, tasks tracked meanwhile included (deliveries already on the wire
   * when the consumer was cancelled), but no longer than `timeoutMs`. True when all settled.
   */
  async drained(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.tasks.size > 0 && Date.now() < deadline) {
      await settledWithin(Promise.allSettled([...this.tasks]), deadline - Date.now());
    }
    return this.tasks.size === 0;
  }
}

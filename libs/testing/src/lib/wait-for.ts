export interface WaitForOptions {
  /** Give up after this long. Default 10000. */
  readonly timeoutMs?: number;
  /** Check this often. Default 50. */
  readonly intervalMs?: number;
  /** Says what was awaited, in the error. */
  readonly message?: string;
}

/**
 * Resolves with the first truthy value `condition` returns (it may be async); throws after `timeoutMs`
 * with `message` and the last value or error seen. Use it instead of sleeps.
 */
export async function waitFor<T>(
  condition: () => T | Promise<T>,
  { timeoutMs = 10_000, intervalMs = 50, message = 'condition' }: WaitForOptions = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await condition();
      if (value) return value as NonNullable<T>;
      last = value;
    } catch (error) {
      last = error;
    }
    if (Date.now() >= deadline) {
      const seen = last instanceof Error ? last.message : JSON.stringify(last);
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${message} (last: ${seen})`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

import { InvalidConfigError } from '../errors';

/**
 * How a consumer retries a message whose handler failed: one delay per retry, like MassTransit's
 * Intervals. `[1000, 5000]` tries again after 1 s, then after 5 s, and dead-letters the message when
 * the third try fails too; `[]` dead-letters it when the first one fails. The number of tries follows
 * from the list (see `attemptsOf`), so there is no count that could disagree with it.
 */
export interface RetryOptions {
  readonly delaysMs: readonly number[];
}

export const DEFAULT_PREFETCH = 20;
export const DEFAULT_RETRY_DELAYS_MS: readonly number[] = [1000, 5000];
/** Each retry has a delay queue of its own; this bounds how many a consumer declares. */
export const MAX_RETRIES = 99;

/** How many times the handler is tried in all, the first try included. */
export function attemptsOf(retry: RetryOptions): number {
  return retry.delaysMs.length + 1;
}

/**
 * The delay before the retry that follows the failed try number `attempt` (1-based); undefined after
 * the last try.
 */
export function retryDelayAfter(retry: RetryOptions, attempt: number): number | undefined {
  return retry.delaysMs[attempt - 1];
}

/** Validates retry options; `name` is what an error message calls the delays. */
export function checkRetryOptions(retry: RetryOptions, name = 'retry.delaysMs'): RetryOptions {
  if (retry.delaysMs.length > MAX_RETRIES) {
    throw new InvalidConfigError(
      name,
      `has ${retry.delaysMs.length} delays; at most ${MAX_RETRIES} retries are allowed`,
    );
  }
  for (const delay of retry.delaysMs) {
    if (!Number.isInteger(delay) || delay < 1)
      throw new InvalidConfigError(name, `delays must be positive integers, got ${delay}`);
  }
  return retry;
}

import { InvalidConfigError } from '../errors';
import { Env, readInteger, readIntegerList } from './env';

export interface RetryOptions {
  /** How many times the handler is tried in all (first try included) before the message is dead-lettered. */
  readonly attempts: number;
  /**
   * Delay before each retry: `delaysMs[0]` before the 2nd try, `delaysMs[1]` before the 3rd…; when the
   * list is shorter than `attempts - 1`, its last delay repeats.
   */
  readonly delaysMs: readonly number[];
}

export interface ConsumerEnvOptions {
  readonly prefetch: number;
  readonly retry: RetryOptions;
}

export const DEFAULT_PREFETCH = 20;
export const DEFAULT_RETRY_ATTEMPTS = 3;
export const DEFAULT_RETRY_DELAYS_MS: readonly number[] = [1000, 5000];

/**
 * Reads `<PREFIX>_PREFETCH`, `<PREFIX>_RETRY_ATTEMPTS` and `<PREFIX>_RETRY_DELAYS_MS`
 * (e.g. prefix `CONSUMER`), validated, with errors naming the variable.
 */
export function readConsumerEnv(env: Env, prefix: string): ConsumerEnvOptions {
  const prefetch = readInteger(env, `${prefix}_PREFETCH`, DEFAULT_PREFETCH, {
    min: 1,
    max: 65535,
  });
  const attempts = readInteger(
    env,
    `${prefix}_RETRY_ATTEMPTS`,
    DEFAULT_RETRY_ATTEMPTS,
    { min: 1, max: 100 },
  );
  // The default list is cut to the attempts; a list given explicitly must fit them.
  const defaultDelays = DEFAULT_RETRY_DELAYS_MS.slice(
    0,
    Math.max(attempts - 1, 1),
  );
  const delaysMs = readIntegerList(
    env,
    `${prefix}_RETRY_DELAYS_MS`,
    defaultDelays,
    {
      min: 1,
      max: 24 * 60 * 60 * 1000,
    },
  );
  return {
    prefetch,
    retry: checkRetryOptions(
      { attempts, delaysMs },
      `${prefix}_RETRY_DELAYS_MS`,
    ),
  };
}

/** Validates retry options; `name` is what an error message calls the delays. */
export function checkRetryOptions(
  retry: RetryOptions,
  name = 'retry.delaysMs',
): RetryOptions {
  if (!Number.isInteger(retry.attempts) || retry.attempts < 1) {
    throw new InvalidConfigError(
      name.replace(/DELAYS_MS$/, 'ATTEMPTS'),
      `must be an integer of at least 1, got ${retry.attempts}`,
    );
  }
  if (retry.attempts > 1 && retry.delaysMs.length === 0) {
    throw new InvalidConfigError(
      name,
      'needs at least one delay when retries are enabled',
    );
  }
  if (retry.delaysMs.length > Math.max(retry.attempts - 1, 1)) {
    throw new InvalidConfigError(
      name,
      `has ${retry.delaysMs.length} delays but ${retry.attempts} attempt(s) allow only ${retry.attempts - 1} retries`,
    );
  }
  for (const delay of retry.delaysMs) {
    if (!Number.isInteger(delay) || delay < 1)
      throw new InvalidConfigError(
        name,
        `delays must be positive integers, got ${delay}`,
      );
  }
  return retry;
}

/** The delay before the retry that follows the failed try number `attempt` (1-based). */
export function retryDelayAfter(retry: RetryOptions, attempt: number): number {
  const { delaysMs } = retry;
  return delaysMs[Math.min(attempt - 1, delaysMs.length - 1)];
}

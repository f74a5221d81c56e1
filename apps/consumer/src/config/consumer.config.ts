import {
  Env,
  readAmqpUrl,
  readConsumerEnv,
  readInteger,
  readPort,
  RetryOptions,
} from '@hello/messaging';

export interface ConsumerConfig {
  readonly httpPort: number;
  readonly rabbitmqUrl: string;
  /** Messages handled at once (unacked on the channel). */
  readonly prefetch: number;
  readonly retry: RetryOptions;
  /** How many handled message ids are remembered to suppress duplicates. */
  readonly deduplicationCapacity: number;
  /** How long SIGTERM waits for in-flight messages before closing anyway. */
  readonly drainTimeoutMs: number;
}

/** Reads and validates the environment; throws InvalidConfigError naming the variable. */
export function loadConsumerConfig(env: Env): ConsumerConfig {
  const { prefetch, retry } = readConsumerEnv(env, 'CONSUMER');
  return {
    httpPort: readPort(env, 'CONSUMER_HTTP_PORT', 3002),
    rabbitmqUrl: readAmqpUrl(env),
    prefetch,
    retry,
    deduplicationCapacity: readInteger(env, 'CONSUMER_DEDUP_CAPACITY', 10_000, {
      min: 0,
      max: 10_000_000,
    }),
    drainTimeoutMs: readInteger(env, 'CONSUMER_DRAIN_TIMEOUT_MS', 30_000, {
      min: 0,
      max: 600_000,
    }),
  };
}

/** Injection token of the ConsumerConfig. */
export const CONSUMER_CONFIG = Symbol('CONSUMER_CONFIG');

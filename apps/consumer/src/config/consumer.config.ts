import { DEFAULT_PREFETCH, DEFAULT_RETRY_DELAYS_MS, RetryOptions } from '@hello/messaging';
import {
  rabbitmqConfigOf,
  integer,
  parseEnv,
  platformConfigOf,
  platformEnvSchema,
  port,
  removed,
  retryDelays,
  type PlatformConfig,
  type RabbitmqConfig,
} from '@hello/platform';
import { z } from 'zod';

const DAY_MS = 24 * 60 * 60 * 1000;

/** Every variable the consumer reads, with its default and bounds. */
export const consumerEnvSchema = platformEnvSchema.extend({
  CONSUMER_HTTP_PORT: port(3002),
  CONSUMER_PREFETCH: integer(DEFAULT_PREFETCH, 1, 65_535),
  // One delay per retry: the list says how many tries there are.
  CONSUMER_RETRY_DELAYS_MS: retryDelays(DEFAULT_RETRY_DELAYS_MS, DAY_MS),
  CONSUMER_RETRY_ATTEMPTS: removed('CONSUMER_RETRY_DELAYS_MS lists one delay per retry (or none)'),
  CONSUMER_DEDUP_CAPACITY: integer(10_000, 0, 10_000_000),
  CONSUMER_DRAIN_TIMEOUT_MS: integer(30_000, 0, 600_000),
  // The bearer token of /admin/dead-letters; unset, those endpoints are off.
  CONSUMER_ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters long').optional(),
});

export interface ConsumerConfig extends RabbitmqConfig {
  readonly platform: PlatformConfig;
  readonly httpPort: number;
  /** Messages handled at once (unacked on the channel). */
  readonly prefetch: number;
  readonly retry: RetryOptions;
  /** How many handled message ids are remembered to suppress duplicates. */
  readonly deduplicationCapacity: number;
  /** How long SIGTERM waits for in-flight messages before closing anyway. */
  readonly drainTimeoutMs: number;
  /** CONSUMER_ADMIN_TOKEN: the bearer token of /admin/dead-letters; unset, those endpoints are off. */
  readonly adminToken?: string;
}

/** Reads and validates the environment; throws InvalidConfigError naming the variable. */
export function loadConsumerConfig(env: Record<string, string | undefined>): ConsumerConfig {
  const vars: z.output<typeof consumerEnvSchema> = parseEnv(consumerEnvSchema, env);
  return {
    platform: platformConfigOf(vars),
    httpPort: vars.CONSUMER_HTTP_PORT,
    ...rabbitmqConfigOf(vars),
    prefetch: vars.CONSUMER_PREFETCH,
    retry: { delaysMs: vars.CONSUMER_RETRY_DELAYS_MS },
    deduplicationCapacity: vars.CONSUMER_DEDUP_CAPACITY,
    drainTimeoutMs: vars.CONSUMER_DRAIN_TIMEOUT_MS,
    ...(vars.CONSUMER_ADMIN_TOKEN ? { adminToken: vars.CONSUMER_ADMIN_TOKEN } : {}),
  };
}

/** Injection token of the ConsumerConfig. */
export const CONSUMER_CONFIG = Symbol('CONSUMER_CONFIG');

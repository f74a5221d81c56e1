import {
  AmqpTlsFiles,
  Env,
  readAmqpTls,
  readAmqpUrl,
  readConsumerEnv,
  InvalidConfigError,
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
  /** For amqps: (RABBITMQ_CA_FILE, RABBITMQ_CERT_FILE, RABBITMQ_KEY_FILE). */
  readonly rabbitmqTls?: AmqpTlsFiles;
  /** CONSUMER_ADMIN_TOKEN: the bearer token of /admin/dead-letters; unset, those endpoints are off. */
  readonly adminToken?: string;
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
    rabbitmqTls: readAmqpTls(env),
    adminToken: adminToken(env),
  };
}

function adminToken(env: Env): string | undefined {
  const token = env['CONSUMER_ADMIN_TOKEN']?.trim();
  if (!token) return undefined;
  if (token.length < 16) {
    throw new InvalidConfigError(
      'CONSUMER_ADMIN_TOKEN',
      `must be at least 16 characters long, got ${token.length}`,
    );
  }
  return token;
}

/** Injection token of the ConsumerConfig. */
export const CONSUMER_CONFIG = Symbol('CONSUMER_CONFIG');

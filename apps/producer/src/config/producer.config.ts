import { Env, readAmqpUrl, readInteger, readPort } from '@hello/messaging';

export interface ProducerConfig {
  readonly httpPort: number;
  readonly rabbitmqUrl: string;
  /** How long a publish may keep retrying (broker down, reconnecting) before the request gets 503. */
  readonly publishTimeoutMs: number;
  /** The `Retry-After` of every 503: when a client should try again. */
  readonly retryAfterSeconds: number;
}

/** Reads and validates the environment; throws InvalidConfigError naming the variable. */
export function loadProducerConfig(env: Env): ProducerConfig {
  return {
    httpPort: readPort(env, 'PRODUCER_HTTP_PORT', 3000),
    rabbitmqUrl: readAmqpUrl(env),
    publishTimeoutMs: readInteger(env, 'PRODUCER_PUBLISH_TIMEOUT_MS', 5_000, {
      min: 100,
      max: 300_000,
    }),
    retryAfterSeconds: readInteger(env, 'PRODUCER_RETRY_AFTER_SECONDS', 5, {
      min: 1,
      max: 3_600,
    }),
  };
}

/** Injection token of the ProducerConfig. */
export const PRODUCER_CONFIG = Symbol('PRODUCER_CONFIG');

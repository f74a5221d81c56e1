import {
  rabbitmqConfigOf,
  integer,
  parseEnv,
  platformConfigOf,
  platformEnvSchema,
  port,
  type PlatformConfig,
  type RabbitmqConfig,
} from '@hello/platform';
import { z } from 'zod';

/** Every variable the producer reads, with its default and bounds. */
export const producerEnvSchema = platformEnvSchema.extend({
  PRODUCER_HTTP_PORT: port(3000),
  PRODUCER_PUBLISH_TIMEOUT_MS: integer(5_000, 100, 300_000),
  PRODUCER_RETRY_AFTER_SECONDS: integer(5, 1, 3_600),
  PRODUCER_RPC_TIMEOUT_MS: integer(5_000, 100, 300_000),
});

export interface ProducerConfig extends RabbitmqConfig {
  readonly platform: PlatformConfig;
  readonly httpPort: number;
  /** How long a publish may keep retrying (broker down, reconnecting) before the request gets 503. */
  readonly publishTimeoutMs: number;
  /** The `Retry-After` of every 503: when a client should try again. */
  readonly retryAfterSeconds: number;
  /** How long POST /greetings waits for the greeter's reply over AMQP before it answers 504. */
  readonly rpcTimeoutMs: number;
}

/** Reads and validates the environment; throws InvalidConfigError naming the variable. */
export function loadProducerConfig(env: Record<string, string | undefined>): ProducerConfig {
  const vars: z.output<typeof producerEnvSchema> = parseEnv(producerEnvSchema, env);
  return {
    platform: platformConfigOf(vars),
    httpPort: vars.PRODUCER_HTTP_PORT,
    ...rabbitmqConfigOf(vars),
    publishTimeoutMs: vars.PRODUCER_PUBLISH_TIMEOUT_MS,
    retryAfterSeconds: vars.PRODUCER_RETRY_AFTER_SECONDS,
    rpcTimeoutMs: vars.PRODUCER_RPC_TIMEOUT_MS,
  };
}

/** Injection token of the ProducerConfig. */
export const PRODUCER_CONFIG = Symbol('PRODUCER_CONFIG');

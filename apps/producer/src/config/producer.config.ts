import { amqpUrl, integer, parseEnv, platformConfigOf, platformEnvSchema, port, type PlatformConfig } from '@hello/platform';
import { z } from 'zod';

/** Every variable the producer reads, with its default and bounds. */
export const producerEnvSchema = platformEnvSchema.extend({
  PRODUCER_HTTP_PORT: port(3000),
  RABBITMQ_URL: amqpUrl(),
  PRODUCER_PUBLISH_TIMEOUT_MS: integer(5_000, 100, 300_000),
});

export interface ProducerConfig {
  readonly platform: PlatformConfig;
  readonly httpPort: number;
  readonly rabbitmqUrl: string;
  /** How long a publish may keep retrying (broker down, reconnecting) before the request gets 503. */
  readonly publishTimeoutMs: number;
}

/** Reads and validates the environment; throws InvalidConfigError naming the variable. */
export function loadProducerConfig(env: Record<string, string | undefined>): ProducerConfig {
  const vars: z.output<typeof producerEnvSchema> = parseEnv(producerEnvSchema, env);
  return {
    platform: platformConfigOf(vars),
    httpPort: vars.PRODUCER_HTTP_PORT,
    rabbitmqUrl: vars.RABBITMQ_URL,
    publishTimeoutMs: vars.PRODUCER_PUBLISH_TIMEOUT_MS,
  };
}

/** Injection token of the ProducerConfig. */
export const PRODUCER_CONFIG = Symbol('PRODUCER_CONFIG');

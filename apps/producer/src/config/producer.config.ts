import { Env, readAmqpUrl, readInteger, readPort } from '@hello/messaging';

export interface ProducerConfig {
  readonly httpPort: number;
  readonly rabbitmqUrl: string;
  /** How long a publish may keep retrying (broker down, reconnecting) before the request gets 503. */
  readonly publishTimeoutMs: number;
  /** How long POST /greetings waits for the greeter's reply over AMQP before it answers 504. */
  readonly rpcTimeoutMs: number;
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
    rpcTimeoutMs: readInteger(env, 'PRODUCER_RPC_TIMEOUT_MS', 5_000, {
      min: 100,
      max: 300_000,
    }),
  };
}

/** Injection token of the ProducerConfig. */
export const PRODUCER_CONFIG = Symbol('PRODUCER_CONFIG');

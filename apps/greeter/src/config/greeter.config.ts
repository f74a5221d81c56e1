import type { LogLevel } from '@nestjs/common';
import { DEFAULT_RABBITMQ_URL, InvalidConfigError, readAmqpUrl } from '@hello/messaging';

export interface GreeterConfig {
  /** host:port the gRPC server binds, as grpc-js takes it. */
  readonly grpcUrl: string;
  /** Requests larger than this are refused with RESOURCE_EXHAUSTED before any handler runs. */
  readonly maxReceiveMessageBytes: number;
  /** How long in-flight calls may run after shutdown begins before they are cut off. */
  readonly shutdownGraceMs: number;
  /** The Nest log levels to print, from the most severe down to GREETER_LOG_LEVEL. */
  readonly logLevels: LogLevel[];
  /** The broker the greeter publishes its integration events to. */
  readonly rabbitmqUrl: string;
  /** How many events may wait for the broker (queued or unconfirmed) before new ones are dropped. */
  readonly eventsBufferSize: number;
  /** Requests of the AMQP request/reply queue (`hello.rpc`) handled at once (basic.qos). */
  readonly rpcPrefetch: number;
}

/** Injection token of the GreeterConfig. */
export const GREETER_CONFIG = Symbol('GREETER_CONFIG');

/** A configuration value that cannot be used; `variable` names the environment variable. */
export class ConfigError extends Error {
  readonly code = 'invalid-config';

  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`${variable}: ${problem}`);
    this.name = 'ConfigError';
  }
}

export const CONFIG_DEFAULTS = {
  GREETER_GRPC_URL: '0.0.0.0:50051',
  GREETER_MAX_RECEIVE_MESSAGE_BYTES: 4096,
  GREETER_SHUTDOWN_GRACE_MS: 10_000,
  GREETER_LOG_LEVEL: 'log',
  RABBITMQ_URL: DEFAULT_RABBITMQ_URL,
  GREETER_EVENTS_BUFFER: 10_000,
  GREETER_RPC_PREFETCH: 100,
} as const;

// Most severe first: a level enables itself and everything before it.
const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];
const HOST_PORT = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?):(\d{1,5})$/;
const MAX_INT32 = 2 ** 31 - 1;

/** Reads and checks the greeter's settings; throws a ConfigError naming the first bad variable. */
export function loadGreeterConfig(env: NodeJS.ProcessEnv = process.env): GreeterConfig {
  return {
    grpcUrl: grpcUrl(env),
    maxReceiveMessageBytes: integer(env, 'GREETER_MAX_RECEIVE_MESSAGE_BYTES', 1, MAX_INT32),
    shutdownGraceMs: integer(env, 'GREETER_SHUTDOWN_GRACE_MS', 0, 3_600_000),
    logLevels: logLevels(env),
    rabbitmqUrl: rabbitmqUrl(env),
    eventsBufferSize: integer(env, 'GREETER_EVENTS_BUFFER', 1, 1_000_000),
    rpcPrefetch: integer(env, 'GREETER_RPC_PREFETCH', 1, 65_535),
  };
}

// An empty value counts as unset, the way compose files and shells usually mean it.
function valueOf(env: NodeJS.ProcessEnv, name: keyof typeof CONFIG_DEFAULTS): string {
  const value = env[name]?.trim();
  return value ? value : String(CONFIG_DEFAULTS[name]);
}

function grpcUrl(env: NodeJS.ProcessEnv): string {
  const value = valueOf(env, 'GREETER_GRPC_URL');
  const match = HOST_PORT.exec(value);
  const port = match ? Number(match[1]) : NaN;
  if (!match || port < 1 || port > 65_535) {
    throw new ConfigError(
      'GREETER_GRPC_URL',
      `must be host:port with a port from 1 to 65535 (e.g. 0.0.0.0:50051 or [::]:50051), got "${value}"`,
    );
  }
  return value;
}

function integer(
  env: NodeJS.ProcessEnv,
  name:
    | 'GREETER_MAX_RECEIVE_MESSAGE_BYTES'
    | 'GREETER_SHUTDOWN_GRACE_MS'
    | 'GREETER_EVENTS_BUFFER'
    | 'GREETER_RPC_PREFETCH',
  min: number,
  max: number,
): number {
  const value = valueOf(env, name);
  const parsed = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
    throw new ConfigError(name, `must be a whole number from ${min} to ${max}, got "${value}"`);
  }
  return parsed;
}

// The same check as every other app that talks to RabbitMQ; its messages never show the password.
function rabbitmqUrl(env: NodeJS.ProcessEnv): string {
  try {
    return readAmqpUrl({ RABBITMQ_URL: valueOf(env, 'RABBITMQ_URL') });
  } catch (error) {
    if (error instanceof InvalidConfigError) {
      throw new ConfigError('RABBITMQ_URL', error.message.replace(/^RABBITMQ_URL: /, ''));
    }
    throw error;
  }
}

function logLevels(env: NodeJS.ProcessEnv): LogLevel[] {
  const value = valueOf(env, 'GREETER_LOG_LEVEL') as LogLevel;
  const index = LOG_LEVELS.indexOf(value);
  if (index < 0) {
    throw new ConfigError('GREETER_LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}, got "${value}"`);
  }
  return LOG_LEVELS.slice(0, index + 1);
}

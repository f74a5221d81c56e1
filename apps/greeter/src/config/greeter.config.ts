import {
  amqpUrl,
  integer,
  parseEnv,
  platformConfigOf,
  platformEnvSchema,
  port,
  text,
  type PlatformConfig,
} from '@hello/platform';
import { z } from 'zod';

export interface GreeterConfig {
  readonly platform: PlatformConfig;
  /** host:port the gRPC server binds, as grpc-js takes it. */
  readonly grpcUrl: string;
  /** Port of the HTTP server (metrics, health); 0 picks a free one. */
  readonly httpPort: number;
  /** Requests larger than this are refused with RESOURCE_EXHAUSTED before any handler runs. */
  readonly maxReceiveMessageBytes: number;
  /** How long in-flight calls may run after shutdown begins before they are cut off. */
  readonly shutdownGraceMs: number;
  /** The broker the greeter publishes its integration events to. */
  readonly rabbitmqUrl: string;
  /** How many events may wait for the broker (queued or unconfirmed) before new ones are dropped. */
  readonly eventsBufferSize: number;
}

/** Injection token of the GreeterConfig. */
export const GREETER_CONFIG = Symbol('GREETER_CONFIG');

const HOST_PORT = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?):(\d{1,5})$/;
const MAX_INT32 = 2 ** 31 - 1;

/** Every variable the greeter reads, with its default and bounds. */
export const greeterEnvSchema = platformEnvSchema.extend({
  GREETER_GRPC_URL: text('0.0.0.0:50051').pipe(
    z.string().refine((value) => {
      const match = HOST_PORT.exec(value);
      const number = match ? Number(match[1]) : NaN;
      return number >= 1 && number <= 65_535;
    }, 'must be host:port with a port from 1 to 65535 (e.g. 0.0.0.0:50051 or [::]:50051)'),
  ),
  GREETER_HTTP_PORT: port(3001),
  GREETER_MAX_RECEIVE_MESSAGE_BYTES: integer(4096, 1, MAX_INT32),
  GREETER_SHUTDOWN_GRACE_MS: integer(10_000, 0, 3_600_000),
  RABBITMQ_URL: amqpUrl(),
  GREETER_EVENTS_BUFFER: integer(10_000, 1, 1_000_000),
});

/** Reads and checks the greeter's settings; throws an InvalidConfigError naming the first bad variable. */
export function loadGreeterConfig(env: Record<string, string | undefined> = process.env): GreeterConfig {
  const vars: z.output<typeof greeterEnvSchema> = parseEnv(greeterEnvSchema, env);
  return {
    platform: platformConfigOf(vars),
    grpcUrl: vars.GREETER_GRPC_URL,
    httpPort: vars.GREETER_HTTP_PORT,
    maxReceiveMessageBytes: vars.GREETER_MAX_RECEIVE_MESSAGE_BYTES,
    shutdownGraceMs: vars.GREETER_SHUTDOWN_GRACE_MS,
    rabbitmqUrl: vars.RABBITMQ_URL,
    eventsBufferSize: vars.GREETER_EVENTS_BUFFER,
  };
}

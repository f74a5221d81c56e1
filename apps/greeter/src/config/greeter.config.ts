import {
  rabbitmqConfigOf,
  integer,
  optionalInteger,
  optionalText,
  parseEnv,
  platformConfigOf,
  platformEnvSchema,
  text,
  type PlatformConfig,
  type RabbitmqConfig,
} from '@hello/platform';
import { InvalidConfigError, readPem } from '@hello/messaging';
import { z } from 'zod';

export interface GreeterConfig extends RabbitmqConfig {
  readonly platform: PlatformConfig;
  /** host:port the gRPC server binds, as grpc-js takes it. */
  readonly grpcUrl: string;
  /** Port of the HTTP server (metrics, health); 0 picks a free one. */
  readonly httpPort: number;
  /** Requests larger than this are refused with RESOURCE_EXHAUSTED before any handler runs. */
  readonly maxReceiveMessageBytes: number;
  /** How long in-flight calls may run after shutdown begins before they are cut off. */
  readonly shutdownGraceMs: number;
  /**
   * How many events may wait for the broker (queued or unconfirmed). With the buffer full, a call
   * that would make a greeting fails UNAVAILABLE instead: no greeting is answered OK without its event.
   */
  readonly eventsBufferSize: number;
  /**
   * From this many waiting events on, grpc.health.v1 reports NOT_SERVING (so that load balancers move
   * traffic away before calls are refused); SERVING again once the backlog is down to half of it.
   */
  readonly eventsHighWater: number;
  /** Requests of the AMQP request/reply queue (`hello.rpc`) handled at once (basic.qos). */
  readonly rpcPrefetch: number;
  /** Serve gRPC over TLS with these (plaintext when unset). */
  readonly grpcTls?: GreeterTls;
}

/** What the gRPC server presents, and whom it lets in, read from PEM files at start-up. */
export interface GreeterTls {
  readonly cert: Buffer;
  readonly key: Buffer;
  /** With it, every client must present a certificate this CA signed (mutual TLS). */
  readonly clientCa?: Buffer;
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
  // 0 picks a free port (tests, benchmarks running several greeters).
  GREETER_HTTP_PORT: integer(3001, 0, 65_535),
  GREETER_MAX_RECEIVE_MESSAGE_BYTES: integer(4096, 1, MAX_INT32),
  GREETER_SHUTDOWN_GRACE_MS: integer(10_000, 0, 3_600_000),
  GREETER_EVENTS_BUFFER: integer(10_000, 1, 1_000_000),
  // Default: DEFAULT_EVENTS_HIGH_WATER_RATIO of the buffer; checked against it in loadGreeterConfig.
  GREETER_EVENTS_HIGH_WATER: optionalInteger(1, 1_000_000),
  GREETER_RPC_PREFETCH: integer(100, 1, 65_535),
  GREETER_TLS_CERT_FILE: optionalText(),
  GREETER_TLS_KEY_FILE: optionalText(),
  GREETER_TLS_CLIENT_CA_FILE: optionalText(),
});

/** GREETER_EVENTS_HIGH_WATER when unset: this share of GREETER_EVENTS_BUFFER. */
export const DEFAULT_EVENTS_HIGH_WATER_RATIO = 0.8;

/** Reads and checks the greeter's settings; throws an InvalidConfigError naming the first bad variable. */
export function loadGreeterConfig(env: Record<string, string | undefined> = process.env): GreeterConfig {
  const vars: z.output<typeof greeterEnvSchema> = parseEnv(greeterEnvSchema, env);
  return {
    platform: platformConfigOf(vars),
    grpcUrl: vars.GREETER_GRPC_URL,
    httpPort: vars.GREETER_HTTP_PORT,
    maxReceiveMessageBytes: vars.GREETER_MAX_RECEIVE_MESSAGE_BYTES,
    shutdownGraceMs: vars.GREETER_SHUTDOWN_GRACE_MS,
    ...rabbitmqConfigOf(vars),
    eventsBufferSize: vars.GREETER_EVENTS_BUFFER,
    eventsHighWater: eventsHighWater(vars.GREETER_EVENTS_HIGH_WATER, vars.GREETER_EVENTS_BUFFER),
    rpcPrefetch: vars.GREETER_RPC_PREFETCH,
    ...grpcTls(env),
  };
}

// Declared in the schema above; read from the variables as given, like the broker's TLS files.
function grpcTls(env: Record<string, string | undefined>): { grpcTls?: GreeterTls } {
  const cert = readPem(env, 'GREETER_TLS_CERT_FILE');
  const key = readPem(env, 'GREETER_TLS_KEY_FILE');
  const clientCa = readPem(env, 'GREETER_TLS_CLIENT_CA_FILE');
  if (!cert !== !key) {
    throw new InvalidConfigError(
      cert ? 'GREETER_TLS_KEY_FILE' : 'GREETER_TLS_CERT_FILE',
      'GREETER_TLS_CERT_FILE and GREETER_TLS_KEY_FILE must be set together',
    );
  }
  if (clientCa && !cert) {
    throw new InvalidConfigError(
      'GREETER_TLS_CLIENT_CA_FILE',
      'client certificates need TLS: set GREETER_TLS_CERT_FILE and GREETER_TLS_KEY_FILE too',
    );
  }
  if (!cert || !key) return {};
  return { grpcTls: clientCa ? { cert, key, clientCa } : { cert, key } };
}

function eventsHighWater(given: number | undefined, bufferSize: number): number {
  if (given === undefined) return Math.max(1, Math.ceil(bufferSize * DEFAULT_EVENTS_HIGH_WATER_RATIO));
  if (given > bufferSize) {
    throw new InvalidConfigError(
      'GREETER_EVENTS_HIGH_WATER',
      `must be a whole number from 1 to GREETER_EVENTS_BUFFER (${bufferSize}), got "${given}"`,
    );
  }
  return given;
}

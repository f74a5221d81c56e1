import { DEFAULT_PREFETCH, DEFAULT_RETRY_DELAYS_MS, type RetryOptions } from '@hello/messaging';
import {
  rabbitmqConfigOf,
  integer,
  parseEnv,
  platformConfigOf,
  platformEnvSchema,
  optionalText,
  removed,
  retryDelays,
  text,
  type PlatformConfig,
  type RabbitmqConfig,
} from '@hello/platform';
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';

export interface EventHandlerConfig extends RabbitmqConfig {
  readonly platform: PlatformConfig;
  readonly httpPort: number;
  /** Interface the HTTP and TCP servers bind. */
  readonly host: string;
  readonly tcpPort: number;
  /** Absolute path of the folder holding the SQLite projection database. */
  readonly dataDir: string;
  /** PostgreSQL database of the inbox, projections and outbox; unset: the SQLite file in dataDir. */
  readonly databaseUrl?: string;
  /** How long an applied event id stays in the inbox (its de-duplication window). */
  readonly inboxRetentionHours: number;
  /** Unacknowledged integration events the broker may push at once. */
  readonly prefetch: number;
  /** Tries of an event whose projection fails (first included), and the delays between them. */
  readonly retry: RetryOptions;
  /** How long a publish (line event, welcome message) keeps trying before it fails. */
  readonly publishTimeoutMs: number;
  /** A TCP line longer than this (terminator excluded) closes its connection. */
  readonly maxLineBytes: number;
  /** Pause before the next try of outbox messages whose publish failed. */
  readonly outboxRetryMs: number;
  /** How long in-flight work (events, lines, outbox sends) may take to finish at shutdown. */
  readonly shutdownGraceMs: number;
  /**
   * How long a rebuild, once past the log's tail of its start, waits for its fresh tables to hold
   * everything the live ones have applied before it gives up (the live tables stay as they were).
   */
  readonly rebuildSwapTimeoutMs: number;
}

/** Injection token of the validated EventHandlerConfig. */
export const EVENT_HANDLER_CONFIG = Symbol('EVENT_HANDLER_CONFIG');

// Lines are decoded as UTF-8 into events capped at 256 KiB; an invalid byte grows to three, so
// lines above 64 KiB could make events the contract refuses.
const MAX_LINE_BYTES_LIMIT = 64 * 1024;
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const HOST = /^(?:[0-9A-Fa-f:.]+|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)$/;

/** Every variable the event-handler reads, with its default and bounds. */
export const eventHandlerEnvSchema = platformEnvSchema.extend({
  EVENT_HANDLER_HTTP_PORT: integer(3003, 0, 65_535),
  EVENT_HANDLER_HOST: text('0.0.0.0').pipe(z.string().regex(HOST, 'must be a host name or IP address')),
  EVENT_HANDLER_TCP_PORT: integer(8888, 0, 65_535),
  EVENT_HANDLER_DATA_DIR: text('.local/data/event-handler').pipe(
    z.string().refine((value) => !value.includes('\0'), 'must be a folder path'),
  ),
  EVENT_HANDLER_DATABASE_URL: optionalText().pipe(
    z
      .string()
      .optional()
      .refine((value) => value === undefined || isPostgresUrl(value), {
        message:
          'must be a postgres:// or postgresql:// URL with a host (e.g. postgres://user:password@host:5432/database)',
      }),
  ),
  EVENT_HANDLER_INBOX_RETENTION_HOURS: integer(168, 1, 24 * 3_660),
  EVENT_HANDLER_PREFETCH: integer(DEFAULT_PREFETCH, 1, 65_535),
  // One delay per retry: the list says how many tries there are.
  EVENT_HANDLER_RETRY_DELAYS_MS: retryDelays(DEFAULT_RETRY_DELAYS_MS, DAY_MS),
  EVENT_HANDLER_RETRY_ATTEMPTS: removed('EVENT_HANDLER_RETRY_DELAYS_MS lists one delay per retry (or none)'),
  EVENT_HANDLER_PUBLISH_TIMEOUT_MS: integer(10_000, 1, HOUR_MS),
  EVENT_HANDLER_MAX_LINE_BYTES: integer(16_384, 1, MAX_LINE_BYTES_LIMIT),
  EVENT_HANDLER_OUTBOX_RETRY_MS: integer(5_000, 10, HOUR_MS),
  EVENT_HANDLER_SHUTDOWN_GRACE_MS: integer(10_000, 0, HOUR_MS),
  EVENT_HANDLER_REBUILD_SWAP_TIMEOUT_MS: integer(120_000, 1_000, DAY_MS),
});

/**
 * Reads and checks the event-handler's settings; throws InvalidConfigError naming the first bad
 * variable. A relative EVENT_HANDLER_DATA_DIR is resolved against `cwd`. EVENT_HANDLER_PREFETCH
 * and EVENT_HANDLER_RETRY_DELAYS_MS work as the consumer's do.
 */
export function loadConfig(
  env: Record<string, string | undefined> = process.env,
  cwd: string = process.cwd(),
): EventHandlerConfig {
  const vars: z.output<typeof eventHandlerEnvSchema> = parseEnv(eventHandlerEnvSchema, env);
  const dataDir = vars.EVENT_HANDLER_DATA_DIR;
  return {
    platform: platformConfigOf(vars),
    httpPort: vars.EVENT_HANDLER_HTTP_PORT,
    host: vars.EVENT_HANDLER_HOST,
    tcpPort: vars.EVENT_HANDLER_TCP_PORT,
    dataDir: isAbsolute(dataDir) ? dataDir : resolve(cwd, dataDir),
    ...(vars.EVENT_HANDLER_DATABASE_URL ? { databaseUrl: vars.EVENT_HANDLER_DATABASE_URL } : {}),
    inboxRetentionHours: vars.EVENT_HANDLER_INBOX_RETENTION_HOURS,
    ...rabbitmqConfigOf(vars),
    prefetch: vars.EVENT_HANDLER_PREFETCH,
    retry: { delaysMs: vars.EVENT_HANDLER_RETRY_DELAYS_MS },
    publishTimeoutMs: vars.EVENT_HANDLER_PUBLISH_TIMEOUT_MS,
    maxLineBytes: vars.EVENT_HANDLER_MAX_LINE_BYTES,
    outboxRetryMs: vars.EVENT_HANDLER_OUTBOX_RETRY_MS,
    shutdownGraceMs: vars.EVENT_HANDLER_SHUTDOWN_GRACE_MS,
    rebuildSwapTimeoutMs: vars.EVENT_HANDLER_REBUILD_SWAP_TIMEOUT_MS,
  };
}

function isPostgresUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'postgres:' || url.protocol === 'postgresql:') && url.hostname !== '';
  } catch {
    return false;
  }
}

import {
  type Env,
  InvalidConfigError,
  readAmqpUrl,
  readConsumerEnv,
  readInteger,
  type RetryOptions,
} from '@hello/messaging';
import type { LogLevel } from '@nestjs/common';
import { isAbsolute, resolve } from 'node:path';

export interface EventHandlerConfig {
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
  readonly rabbitmqUrl: string;
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
  readonly logLevels: LogLevel[];
}

/** Injection token of the validated EventHandlerConfig. */
export const EVENT_HANDLER_CONFIG = Symbol('EVENT_HANDLER_CONFIG');

export const CONFIG_DEFAULTS = {
  EVENT_HANDLER_HTTP_PORT: 3003,
  EVENT_HANDLER_HOST: '0.0.0.0',
  EVENT_HANDLER_TCP_PORT: 8888,
  EVENT_HANDLER_DATA_DIR: '.local/data/event-handler',
  EVENT_HANDLER_PUBLISH_TIMEOUT_MS: 10_000,
  EVENT_HANDLER_MAX_LINE_BYTES: 16_384,
  EVENT_HANDLER_OUTBOX_RETRY_MS: 5_000,
  EVENT_HANDLER_SHUTDOWN_GRACE_MS: 10_000,
  EVENT_HANDLER_LOG_LEVEL: 'log',
  EVENT_HANDLER_DATABASE_URL: '',
  EVENT_HANDLER_INBOX_RETENTION_HOURS: 168,
} as const;

// Most severe first: a level enables itself and everything before it.
const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];
// Lines are decoded as UTF-8 into events capped at 256 KiB; an invalid byte grows to three, so
// lines above 64 KiB could make events the contract refuses.
const MAX_LINE_BYTES_LIMIT = 64 * 1024;
const HOUR_MS = 3_600_000;

/**
 * Reads and checks the event-handler's settings; throws InvalidConfigError naming the first bad
 * variable. A relative EVENT_HANDLER_DATA_DIR is resolved against `cwd`. EVENT_HANDLER_PREFETCH,
 * EVENT_HANDLER_RETRY_ATTEMPTS and EVENT_HANDLER_RETRY_DELAYS_MS work as the consumer's do.
 */
export function loadConfig(env: Env = process.env, cwd: string = process.cwd()): EventHandlerConfig {
  const { prefetch, retry } = readConsumerEnv(env, 'EVENT_HANDLER');
  return {
    httpPort: readInteger(env, 'EVENT_HANDLER_HTTP_PORT', CONFIG_DEFAULTS.EVENT_HANDLER_HTTP_PORT, {
      min: 0,
      max: 65_535,
    }),
    host: host(env),
    tcpPort: readInteger(env, 'EVENT_HANDLER_TCP_PORT', CONFIG_DEFAULTS.EVENT_HANDLER_TCP_PORT, {
      min: 0,
      max: 65_535,
    }),
    dataDir: dataDir(env, cwd),
    ...databaseUrl(env),
    inboxRetentionHours: readInteger(
      env,
      'EVENT_HANDLER_INBOX_RETENTION_HOURS',
      CONFIG_DEFAULTS.EVENT_HANDLER_INBOX_RETENTION_HOURS,
      { min: 1, max: 24 * 3_660 },
    ),
    rabbitmqUrl: readAmqpUrl(env),
    prefetch,
    retry,
    publishTimeoutMs: readInteger(
      env,
      'EVENT_HANDLER_PUBLISH_TIMEOUT_MS',
      CONFIG_DEFAULTS.EVENT_HANDLER_PUBLISH_TIMEOUT_MS,
      { min: 1, max: HOUR_MS },
    ),
    maxLineBytes: readInteger(env, 'EVENT_HANDLER_MAX_LINE_BYTES', CONFIG_DEFAULTS.EVENT_HANDLER_MAX_LINE_BYTES, {
      min: 1,
      max: MAX_LINE_BYTES_LIMIT,
    }),
    outboxRetryMs: readInteger(env, 'EVENT_HANDLER_OUTBOX_RETRY_MS', CONFIG_DEFAULTS.EVENT_HANDLER_OUTBOX_RETRY_MS, {
      min: 10,
      max: HOUR_MS,
    }),
    shutdownGraceMs: readInteger(
      env,
      'EVENT_HANDLER_SHUTDOWN_GRACE_MS',
      CONFIG_DEFAULTS.EVENT_HANDLER_SHUTDOWN_GRACE_MS,
      { min: 0, max: HOUR_MS },
    ),
    logLevels: logLevels(env),
  };
}

// An empty value counts as unset, the way compose files and shells usually mean it.
function valueOf(env: Env, name: keyof typeof CONFIG_DEFAULTS): string {
  const value = env[name]?.trim();
  return value ? value : String(CONFIG_DEFAULTS[name]);
}

function host(env: Env): string {
  const value = valueOf(env, 'EVENT_HANDLER_HOST');
  if (!/^(?:[0-9A-Fa-f:.]+|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)$/.test(value)) {
    throw new InvalidConfigError('EVENT_HANDLER_HOST', `must be a host name or IP address, got "${value}"`);
  }
  return value;
}

function dataDir(env: Env, cwd: string): string {
  const value = valueOf(env, 'EVENT_HANDLER_DATA_DIR');
  if (value.includes('\0')) {
    throw new InvalidConfigError('EVENT_HANDLER_DATA_DIR', 'must be a folder path');
  }
  return isAbsolute(value) ? value : resolve(cwd, value);
}

// Never echoes the value: it may carry a password.
function databaseUrl(env: Env): { databaseUrl?: string } {
  const value = valueOf(env, 'EVENT_HANDLER_DATABASE_URL');
  if (!value) return {};
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidConfigError(
      'EVENT_HANDLER_DATABASE_URL',
      'is not a URL (expected postgres://user:password@host:5432/database)',
    );
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new InvalidConfigError(
      'EVENT_HANDLER_DATABASE_URL',
      `protocol must be postgres: or postgresql:, got "${url.protocol}"`,
    );
  }
  if (!url.hostname) throw new InvalidConfigError('EVENT_HANDLER_DATABASE_URL', 'the URL has no host');
  return { databaseUrl: value };
}

function logLevels(env: Env): LogLevel[] {
  const value = valueOf(env, 'EVENT_HANDLER_LOG_LEVEL');
  const index = LOG_LEVELS.indexOf(value as LogLevel);
  if (index < 0) {
    throw new InvalidConfigError(
      'EVENT_HANDLER_LOG_LEVEL',
      `must be one of ${LOG_LEVELS.join(', ')}, got "${value}"`,
    );
  }
  return LOG_LEVELS.slice(0, index + 1);
}

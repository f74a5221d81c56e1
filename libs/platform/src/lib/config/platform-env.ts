import { z } from 'zod';
import { DEFAULT_HTTP_KEEP_ALIVE_TIMEOUT_MS } from '../http/http-timeouts';
import { integer, oneOf, rabbitmqEnvSchema } from './env-schema';

/** pino's levels, most severe first; `silent` logs nothing. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The variables every app reads the same way. */
export const platformEnvSchema = rabbitmqEnvSchema.extend({
  LOG_LEVEL: oneOf(LOG_LEVELS, 'info'),
  LOG_FORMAT: oneOf(['json', 'pretty'] as const, 'json'),
  LOG_FILE: z.string().optional(),
  HTTP_KEEP_ALIVE_TIMEOUT_MS: integer(DEFAULT_HTTP_KEEP_ALIVE_TIMEOUT_MS, 1_000, 3_600_000),
  HTTP_DOCS: oneOf(['on', 'off'] as const, 'on'),
});

export interface PlatformConfig {
  readonly logLevel: LogLevel;
  readonly logFormat: 'json' | 'pretty';
  /** Append the log lines to this file instead of writing them to stdout. */
  readonly logFile?: string;
  /** How long the HTTP server keeps an idle keep-alive connection open (default 65 s). */
  readonly httpKeepAliveTimeoutMs?: number;
  /** Serve the OpenAPI document at /docs/openapi.json and Swagger UI at /docs (HTTP_DOCS; unset: on). */
  readonly httpDocs?: boolean;
}

/** `LOG_*` and `HTTP_KEEP_ALIVE_TIMEOUT_MS` as the platform uses them. */
export function platformConfigOf(env: z.output<typeof platformEnvSchema>): PlatformConfig {
  const config = {
    logLevel: env.LOG_LEVEL,
    logFormat: env.LOG_FORMAT,
    httpKeepAliveTimeoutMs: env.HTTP_KEEP_ALIVE_TIMEOUT_MS,
    // Unset means on, as logFile is there only when set.
    ...(env.HTTP_DOCS === 'off' ? { httpDocs: false } : {}),
  };
  return env.LOG_FILE ? { ...config, logFile: env.LOG_FILE } : config;
}

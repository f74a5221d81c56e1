import { z } from 'zod';
import { oneOf, rabbitmqEnvSchema } from './env-schema';

/** pino's levels, most severe first; `silent` logs nothing. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The variables every app reads the same way. */
export const platformEnvSchema = rabbitmqEnvSchema.extend({
  LOG_LEVEL: oneOf(LOG_LEVELS, 'info'),
  LOG_FORMAT: oneOf(['json', 'pretty'] as const, 'json'),
});

export interface PlatformConfig {
  readonly logLevel: LogLevel;
  readonly logFormat: 'json' | 'pretty';
}

/** `LOG_LEVEL` and `LOG_FORMAT` as the platform uses them. */
export function platformConfigOf(env: z.output<typeof platformEnvSchema>): PlatformConfig {
  return { logLevel: env.LOG_LEVEL, logFormat: env.LOG_FORMAT };
}

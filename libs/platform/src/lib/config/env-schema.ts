import {
  DEFAULT_EVENT_LOG_RETENTION,
  InvalidConfigError,
  readAmqpTls,
  readAmqpUrl,
  type AmqpTlsFiles,
  type EventLogRetention,
} from '@hello/messaging';
import { z } from 'zod';

/**
 * Every app declares its environment as one zod object schema, a field per variable with its default
 * and its bounds, and reads it once at start-up with `parseEnv`: the first bad value stops start-up
 * with an InvalidConfigError naming the variable. An empty value counts as unset, the way compose
 * files and shells usually mean it.
 */
export function parseEnv<S extends z.ZodType>(
  schema: S,
  env: NodeJS.ProcessEnv | Record<string, string | undefined>,
): z.output<S> {
  const cleaned: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && value.trim() !== '') cleaned[name] = value.trim();
  }
  const result = schema.safeParse(cleaned);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const variable = String(issue?.path[0] ?? 'environment');
  const given = cleaned[variable];
  const problem = issue?.message ?? 'invalid';
  const got = given === undefined || problem.includes('got ') ? '' : `, got "${shown(variable, given)}"`;
  throw new InvalidConfigError(variable, `${problem}${got}`);
}

// Values of secrets are never repeated in an error.
function shown(variable: string, value: string): string {
  return /PASSWORD|SECRET|TOKEN|RABBITMQ_URL|DATABASE_URL/.test(variable) ? '…' : value;
}

/** A whole number within [min, max]; `fallback` when unset. */
export function integer(fallback: number, min: number, max: number): z.ZodType<number> {
  return z
    .string()
    .regex(/^-?\d+$/, `must be a whole number from ${min} to ${max}`)
    .transform(Number)
    .pipe(
      z
        .number()
        .int()
        .min(min, `must be a whole number from ${min} to ${max}`)
        .max(max, `must be a whole number from ${min} to ${max}`),
    )
    .optional()
    .transform((value) => value ?? fallback) as unknown as z.ZodType<number>;
}

/** A whole number within [min, max], or undefined when unset. */
export function optionalInteger(min: number, max: number): z.ZodType<number | undefined> {
  return z
    .string()
    .regex(/^-?\d+$/, `must be a whole number from ${min} to ${max}`)
    .transform(Number)
    .pipe(z.number().int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`))
    .optional() as unknown as z.ZodType<number | undefined>;
}

/** A TCP port (1–65535). */
export function port(fallback: number): z.ZodType<number> {
  return integer(fallback, 1, 65_535);
}

/** A comma-separated list of whole numbers, each within [min, max]. */
export function integerList(fallback: readonly number[], min: number, max: number): z.ZodType<number[]> {
  return z
    .string()
    .regex(/^\s*\d+(\s*,\s*\d+)*\s*$/, 'must be a comma-separated list of whole numbers')
    .transform((value) => value.split(',').map((part) => Number(part.trim())))
    .pipe(z.array(z.number().int().min(min, `each must be at least ${min}`).max(max, `each must be at most ${max}`)))
    .optional()
    .transform((value) => value ?? [...fallback]) as unknown as z.ZodType<number[]>;
}

/**
 * Retry delays in milliseconds, one per retry, comma-separated (`1000,5000`: three tries in all), or
 * `none` for no retry; `fallback` when unset. Each within [1, max]; at most 99 of them.
 */
export function retryDelays(fallback: readonly number[], max: number): z.ZodType<number[]> {
  return z
    .string()
    .regex(/^(none|\d+(\s*,\s*\d+)*)$/, 'must be a comma-separated list of whole numbers, or none')
    .transform((value) => (value === 'none' ? [] : value.split(',').map((part) => Number(part.trim()))))
    .pipe(
      z
        .array(z.number().int().min(1, 'each must be at least 1').max(max, `each must be at most ${max}`))
        .max(99, 'allows at most 99 retries'),
    )
    .optional()
    .transform((value) => value ?? [...fallback]) as unknown as z.ZodType<number[]>;
}

/** A variable no longer read: setting it stops start-up, with `instead` saying what replaced it. */
export function removed(instead: string): z.ZodType<undefined> {
  return z.never({ error: `is no longer read; ${instead}` }).optional() as unknown as z.ZodType<undefined>;
}

/** One of `values`; `fallback` when unset. */
export function oneOf<const T extends readonly [string, ...string[]]>(
  values: T,
  fallback: T[number],
): z.ZodType<T[number]> {
  return z
    .enum(values, { error: () => `must be one of ${values.join(', ')}` })
    .optional()
    .transform((value) => value ?? fallback) as unknown as z.ZodType<T[number]>;
}

/** A string; `fallback` when unset. */
export function text(fallback: string): z.ZodType<string> {
  return z
    .string()
    .optional()
    .transform((value) => value ?? fallback) as unknown as z.ZodType<string>;
}

/** An optional string. */
export function optionalText(): z.ZodType<string | undefined> {
  return z.string().optional();
}

/** `true`/`false` (also 1/0, yes/no); `fallback` when unset. */
export function flag(fallback: boolean): z.ZodType<boolean> {
  return z
    .string()
    .regex(/^(true|false|1|0|yes|no)$/i, 'must be true or false')
    .transform((value) => /^(true|1|yes)$/i.test(value))
    .optional()
    .transform((value) => value ?? fallback) as unknown as z.ZodType<boolean>;
}

/**
 * The broker variables every app reads the same way: `RABBITMQ_URL` (one node's URL, or a cluster's
 * nodes separated by commas), `RABBITMQ_USER`/`RABBITMQ_PASSWORD` (replace the URL's credentials,
 * URL-encoded), `HELLO_RABBITMQ_PORT` (the local launcher's port when `RABBITMQ_URL` is unset), and the
 * TLS files of an `amqps:` connection. Checked together by `rabbitmqOf`.
 */
export const rabbitmqEnvSchema = z.object({
  RABBITMQ_URL: z.string().optional(),
  RABBITMQ_USER: z.string().optional(),
  RABBITMQ_PASSWORD: z.string().optional(),
  HELLO_RABBITMQ_PORT: z.string().optional(),
  RABBITMQ_CA_FILE: z.string().optional(),
  RABBITMQ_CERT_FILE: z.string().optional(),
  RABBITMQ_KEY_FILE: z.string().optional(),
  HELLO_EVENT_LOG_MAX_AGE: text(DEFAULT_EVENT_LOG_RETENTION.maxAge).pipe(
    z.string().regex(/^[1-9]\d{0,8}[YMDhms]$/, 'must be a number and a unit (Y, M, D, h, m or s), e.g. 30D'),
  ),
  HELLO_EVENT_LOG_MAX_BYTES: integer(DEFAULT_EVENT_LOG_RETENTION.maxLengthBytes, 1_000_000, Number.MAX_SAFE_INTEGER),
});

/** How an app reaches RabbitMQ. */
export interface RabbitmqConfig {
  /** One node's URL, or a cluster's node URLs separated by commas. */
  readonly rabbitmqUrl: string;
  /** For amqps: (RABBITMQ_CA_FILE, RABBITMQ_CERT_FILE, RABBITMQ_KEY_FILE). */
  readonly rabbitmqTls?: AmqpTlsFiles;
  /**
   * The event log's retention (HELLO_EVENT_LOG_MAX_AGE, HELLO_EVENT_LOG_MAX_BYTES); every publisher of
   * integration events declares the log with it. Unset: DEFAULT_EVENT_LOG_RETENTION.
   */
  readonly eventLog?: EventLogRetention;
}

/** The broker URL(s) and TLS files from the variables of `rabbitmqEnvSchema`; errors name the variable. */
export function rabbitmqConfigOf(vars: z.output<typeof rabbitmqEnvSchema>): RabbitmqConfig {
  const { HELLO_EVENT_LOG_MAX_AGE, HELLO_EVENT_LOG_MAX_BYTES, ...connection } = vars;
  const rabbitmqUrl = readAmqpUrl(connection);
  const rabbitmqTls = readAmqpTls(connection);
  const eventLog = { maxAge: HELLO_EVENT_LOG_MAX_AGE, maxLengthBytes: HELLO_EVENT_LOG_MAX_BYTES };
  return rabbitmqTls ? { rabbitmqUrl, rabbitmqTls, eventLog } : { rabbitmqUrl, eventLog };
}

import { InvalidConfigError } from '../errors';

/** The environment a config reader looks at; `process.env` in apps, a plain object in tests. */
export type Env = Record<string, string | undefined>;

export const DEFAULT_RABBITMQ_URL = 'amqp://guest:guest@localhost:5672';

/**
 * `RABBITMQ_URL` (or `name`): an `amqp:` or `amqps:` URL, validated; the vhost may be URL-encoded.
 * `RABBITMQ_USER` and `RABBITMQ_PASSWORD`, when set, replace the URL's credentials and are
 * URL-encoded here (so `p@ss/w0rd` stays a password, not a host): compose files set them apart.
 */
export function readAmqpUrl(
  env: Env,
  name = 'RABBITMQ_URL',
  fallback = DEFAULT_RABBITMQ_URL,
): string {
  const raw = withCredentials(env, env[name]?.trim() || fallback);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new InvalidConfigError(
      name,
      `"${redactAmqpUrl(raw)}" is not a URL (expected amqp://user:password@host:5672/vhost)`,
    );
  }
  if (url.protocol !== 'amqp:' && url.protocol !== 'amqps:') {
    throw new InvalidConfigError(
      name,
      `protocol must be amqp: or amqps:, got "${url.protocol}"`,
    );
  }
  if (!url.hostname) {
    throw new InvalidConfigError(name, 'the URL has no host');
  }
  return raw;
}

function withCredentials(env: Env, raw: string): string {
  const user = env['RABBITMQ_USER'];
  const password = env['RABBITMQ_PASSWORD'];
  if (!user && !password) return raw;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return raw; // reported by the caller
  }
  if (password && !user && !url.username) {
    throw new InvalidConfigError('RABBITMQ_USER', 'must be set with RABBITMQ_PASSWORD');
  }
  // The URL setters percent-encode what a userinfo may not contain (`@`, `/`, `:` …).
  if (user) url.username = user;
  if (password) url.password = password;
  return url.toString();
}

/** An integer environment variable within [min, max]; `fallback` when unset or empty. */
export function readInteger(
  env: Env,
  name: string,
  fallback: number,
  range: { min?: number; max?: number } = {},
): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  if (!/^-?\d+$/.test(raw))
    throw new InvalidConfigError(name, `must be an integer, got "${raw}"`);
  return checkRange(name, Number(raw), range);
}

/** A comma-separated list of integers (e.g. `1000,5000,15000`), each within [min, max]. */
export function readIntegerList(
  env: Env,
  name: string,
  fallback: readonly number[],
  range: { min?: number; max?: number } = {},
): number[] {
  const raw = env[name]?.trim();
  if (!raw) return [...fallback];
  return raw.split(',').map((part) => {
    const item = part.trim();
    if (!/^-?\d+$/.test(item)) {
      throw new InvalidConfigError(
        name,
        `must be a comma-separated list of integers, got "${raw}"`,
      );
    }
    return checkRange(name, Number(item), range);
  });
}

/** A TCP port number (1–65535). */
export function readPort(env: Env, name: string, fallback: number): number {
  return readInteger(env, name, fallback, { min: 1, max: 65535 });
}

function checkRange(
  name: string,
  value: number,
  { min, max }: { min?: number; max?: number },
): number {
  if (min !== undefined && value < min)
    throw new InvalidConfigError(name, `must be at least ${min}, got ${value}`);
  if (max !== undefined && value > max)
    throw new InvalidConfigError(name, `must be at most ${max}, got ${value}`);
  return value;
}

/** The URL without its password, for logs and error messages. */
export function redactAmqpUrl(raw: string): string {
  try {
    const url = new URL(raw);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return raw.replace(/\/\/([^:/@]*):[^@/]*@/, '//$1:***@');
  }
}

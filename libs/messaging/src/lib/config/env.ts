import { InvalidConfigError } from '../errors';

/** The environment a config reader looks at; `process.env` in apps, a plain object in tests. */
export type Env = Record<string, string | undefined>;

export const DEFAULT_RABBITMQ_URL = 'amqp://guest:guest@localhost:5672';

/**
 * The URL used when `RABBITMQ_URL` is unset: the local broker launcher's (`npm run rabbitmq`), on
 * `HELLO_RABBITMQ_PORT` when that is set, so that `nx serve <app>` follows a moved local broker.
 */
export function defaultAmqpUrl(env: Env): string {
  if (!env['HELLO_RABBITMQ_PORT']?.trim()) return DEFAULT_RABBITMQ_URL;
  return `amqp://guest:guest@localhost:${readPort(env, 'HELLO_RABBITMQ_PORT', 5672)}`;
}

/**
 * `RABBITMQ_URL` (or `name`): one `amqp:` or `amqps:` URL, or a comma-separated list of them (the nodes
 * of a cluster, tried in turn), each validated; the vhost may be URL-encoded. Returns the list
 * (trimmed); `amqpUrlList` splits it. `RABBITMQ_USER` and `RABBITMQ_PASSWORD`, when set, replace the
 * credentials of every URL and are URL-encoded here (so `p@ss/w0rd` stays a password, not a host):
 * compose files set them apart.
 */
export function readAmqpUrl(env: Env, name = 'RABBITMQ_URL', fallback = defaultAmqpUrl(env)): string {
  const raw = env[name]?.trim() || fallback;
  const urls = amqpUrlList(raw);
  if (urls.length === 0 || urls.length !== raw.split(',').length) {
    throw new InvalidConfigError(
      name,
      `"${redactAmqpUrl(raw)}" has an empty entry (expected amqp://user:password@host:5672/vhost, or several separated by commas)`,
    );
  }
  for (const item of urls) checkAmqpUrl(name, item);
  return urls.map((item) => withCredentials(env, item)).join(',');
}

/** The node URLs of a `RABBITMQ_URL` value (one, or several separated by commas). */
export function amqpUrlList(raw: string): string[] {
  return raw
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

function checkAmqpUrl(name: string, raw: string): void {
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
    throw new InvalidConfigError(name, `protocol must be amqp: or amqps:, got "${url.protocol}"`);
  }
  if (!url.hostname) {
    throw new InvalidConfigError(name, 'the URL has no host');
  }
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

/** A TCP port number (1–65535) from `name`; `fallback` when unset or empty. */
function readPort(env: Env, name: string, fallback: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port < 1 || port > 65535) {
    throw new InvalidConfigError(name, `must be a port number (1–65535), got "${raw}"`);
  }
  return port;
}

/** The URL (or comma-separated URLs) without passwords, for logs and error messages. */
export function redactAmqpUrl(raw: string): string {
  if (raw.includes(',')) return raw.split(',').map(redactOne).join(',');
  return redactOne(raw);
}

function redactOne(raw: string): string {
  try {
    const url = new URL(raw.trim());
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return raw.replace(/\/\/([^:/@]*):[^@/]*@/, '//$1:***@');
  }
}

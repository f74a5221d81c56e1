import { readFileSync } from 'node:fs';
import { InvalidConfigError } from '../errors';
import type { Env } from './env';

/** What an `amqps:` connection presents and trusts, read from files once at start-up. */
export interface AmqpTlsFiles {
  /** CA certificates (PEM) the broker's certificate must chain to; default: the system's. */
  readonly ca?: Buffer;
  /** Client certificate (PEM) for brokers that require one (`ssl_options.fail_if_no_peer_cert`). */
  readonly cert?: Buffer;
  /** Its private key (PEM). */
  readonly key?: Buffer;
}

/**
 * `RABBITMQ_CA_FILE`, `RABBITMQ_CERT_FILE` and `RABBITMQ_KEY_FILE`, read now so that a missing file
 * stops start-up naming its variable; undefined when none is set. The certificate and key go together.
 */
export function readAmqpTls(env: Env): AmqpTlsFiles | undefined {
  const ca = readPem(env, 'RABBITMQ_CA_FILE');
  const cert = readPem(env, 'RABBITMQ_CERT_FILE');
  const key = readPem(env, 'RABBITMQ_KEY_FILE');
  if (!!cert !== !!key) {
    throw new InvalidConfigError(
      cert ? 'RABBITMQ_KEY_FILE' : 'RABBITMQ_CERT_FILE',
      'RABBITMQ_CERT_FILE and RABBITMQ_KEY_FILE must be set together',
    );
  }
  if (!ca && !cert) return undefined;
  return { ...(ca ? { ca } : {}), ...(cert ? { cert, key } : {}) };
}

/**
 * The socket options of a connection to `url`: for `amqps:`, the TLS files and the server name to
 * check the broker's certificate against (verification is always on). Nothing for `amqp:`.
 */
export function amqpSocketOptions(url: string, tls?: AmqpTlsFiles): Record<string, unknown> {
  if (!url.startsWith('amqps:')) return {};
  const { hostname } = new URL(url);
  const isIp = /^[\d.]+$/.test(hostname) || hostname.includes(':') || hostname.startsWith('[');
  return {
    ...tls,
    rejectUnauthorized: true,
    // SNI takes host names only; the certificate is still checked against an IP address.
    ...(isIp ? {} : { servername: hostname }),
  };
}

/**
 * The PEM file the variable `name` names, read now; undefined when it is unset or empty. An unreadable
 * file is an InvalidConfigError naming the variable and the file.
 */
export function readPem(env: Env, name: string): Buffer | undefined {
  const file = env[name]?.trim();
  if (!file) return undefined;
  try {
    return readFileSync(file);
  } catch (error) {
    throw new InvalidConfigError(
      name,
      `cannot read "${file}": ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
}

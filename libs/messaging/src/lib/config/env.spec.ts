import { InvalidConfigError } from '../errors';
import { attemptsOf, checkRetryOptions } from './retry-options';
import { amqpSocketOptions, readAmqpTls } from './tls';
import { amqpUrlList, readAmqpUrl, redactAmqpUrl } from './env';

function variableOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof InvalidConfigError ? error.variable : 'other';
  }
  return undefined;
}

describe('config readers', () => {
  it('should default RABBITMQ_URL and accept amqp and amqps URLs with an encoded vhost', () => {
    expect(readAmqpUrl({})).toBe('amqp://guest:guest@localhost:5672');
    expect(readAmqpUrl({ RABBITMQ_URL: 'amqps://u:p@h:5671/a%2Fb' })).toBe('amqps://u:p@h:5671/a%2Fb');
  });

  it('should accept a comma-separated list of node URLs and check each of them', () => {
    expect(
      readAmqpUrl({
        RABBITMQ_URL: ' amqp://u:p@n1:5672/v , amqp://u:p@n2:5673/v,amqps://u:p@n3:5671/v ',
      }),
    ).toBe('amqp://u:p@n1:5672/v,amqp://u:p@n2:5673/v,amqps://u:p@n3:5671/v');
    expect(amqpUrlList('amqp://a:5672,amqp://b:5672')).toEqual(['amqp://a:5672', 'amqp://b:5672']);
    expect(() => readAmqpUrl({ RABBITMQ_URL: 'amqp://u:secret@n1:5672,http://n2' })).toThrow(
      'RABBITMQ_URL: protocol must be amqp: or amqps:, got "http:"',
    );
    expect(() => readAmqpUrl({ RABBITMQ_URL: 'amqp://u:secret@n1:5672,,amqp://n2' })).toThrow(
      /RABBITMQ_URL: .*has an empty entry/,
    );
    expect(() => readAmqpUrl({ RABBITMQ_URL: 'amqp://u:secret@n1:5672,,amqp://n2' })).not.toThrow(/secret/);
  });

  it('should default to the local broker launcher on HELLO_RABBITMQ_PORT when RABBITMQ_URL is unset', () => {
    expect(readAmqpUrl({ HELLO_RABBITMQ_PORT: '5680' })).toBe('amqp://guest:guest@localhost:5680');
    expect(readAmqpUrl({ HELLO_RABBITMQ_PORT: '5680', RABBITMQ_URL: 'amqp://h:1' })).toBe('amqp://h:1');
    expect(variableOf(() => readAmqpUrl({ HELLO_RABBITMQ_PORT: 'x' }))).toBe('HELLO_RABBITMQ_PORT');
    expect(variableOf(() => readAmqpUrl({ HELLO_RABBITMQ_PORT: '65536' }))).toBe('HELLO_RABBITMQ_PORT');
    expect(variableOf(() => readAmqpUrl({ HELLO_RABBITMQ_PORT: '0' }))).toBe('HELLO_RABBITMQ_PORT');
  });

  it('should name the variable of a bad value', () => {
    expect(variableOf(() => readAmqpUrl({ RABBITMQ_URL: 'http://h' }))).toBe('RABBITMQ_URL');
  });

  it('should keep the password out of a redacted URL', () => {
    expect(redactAmqpUrl('amqp://guest:secret@h:5672/v')).toBe('amqp://guest:***@h:5672/v');
    expect(redactAmqpUrl('amqp://guest:secret@h1:5672/v,amqp://guest:secret@h2:5672/v')).toBe(
      'amqp://guest:***@h1:5672/v,amqp://guest:***@h2:5672/v',
    );
  });

  it('should count one try more than there are retry delays, and refuse a delay that is no positive integer', () => {
    expect(attemptsOf({ delaysMs: [10, 20] })).toBe(3);
    expect(attemptsOf({ delaysMs: [] })).toBe(1);
    expect(variableOf(() => checkRetryOptions({ delaysMs: [10, 0] }, 'X_RETRY_DELAYS_MS'))).toBe('X_RETRY_DELAYS_MS');
    expect(variableOf(() => checkRetryOptions({ delaysMs: [1.5] }))).toBe('retry.delaysMs');
  });
});

describe('readAmqpUrl with RABBITMQ_USER and RABBITMQ_PASSWORD', () => {
  it('should put them into the URL, URL-encoded, so that a password with @ and / stays a password', () => {
    const url = readAmqpUrl({
      RABBITMQ_URL: 'amqp://rabbitmq:5672/v%2Fh',
      RABBITMQ_USER: 'hello',
      RABBITMQ_PASSWORD: 'p@ss/w0rd',
    });
    expect(url).toBe('amqp://hello:p%40ss%2Fw0rd@rabbitmq:5672/v%2Fh');
    const parsed = new URL(url);
    expect(parsed.hostname).toBe('rabbitmq');
    expect(decodeURIComponent(parsed.password)).toBe('p@ss/w0rd');
  });

  it('should replace the credentials of the URL, and want a user with a password', () => {
    expect(readAmqpUrl({ RABBITMQ_URL: 'amqp://guest:guest@h:5672', RABBITMQ_USER: 'u', RABBITMQ_PASSWORD: 'p' })).toBe(
      'amqp://u:p@h:5672',
    );
    expect(() => readAmqpUrl({ RABBITMQ_URL: 'amqp://h:5672', RABBITMQ_PASSWORD: 'p' })).toThrow(
      'RABBITMQ_USER: must be set with RABBITMQ_PASSWORD',
    );
  });
});

describe('readAmqpTls', () => {
  it('should read nothing when no file is set, and name a file that cannot be read', () => {
    expect(readAmqpTls({})).toBeUndefined();
    expect(() => readAmqpTls({ RABBITMQ_CA_FILE: '/nonexistent/ca.pem' })).toThrow(
      'RABBITMQ_CA_FILE: cannot read "/nonexistent/ca.pem": ENOENT',
    );
    expect(() => readAmqpTls({ RABBITMQ_CERT_FILE: __filename })).toThrow(
      'RABBITMQ_KEY_FILE: RABBITMQ_CERT_FILE and RABBITMQ_KEY_FILE must be set together',
    );
  });

  it('should read the files and turn verification on for amqps: only', () => {
    const tls = readAmqpTls({ RABBITMQ_CA_FILE: __filename });
    expect(tls?.ca?.length).toBeGreaterThan(0);
    expect(amqpSocketOptions('amqps://u:p@broker.example:5671', tls)).toMatchObject({
      rejectUnauthorized: true,
      servername: 'broker.example',
      ca: tls?.ca,
    });
    expect(amqpSocketOptions('amqp://u:p@broker.example:5672', tls)).toEqual({});
  });
});

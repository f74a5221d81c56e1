import { InvalidConfigError } from '@hello/messaging';
import { loadConfig } from './event-handler.config';

function errorFor(env: Record<string, string>): InvalidConfigError {
  try {
    loadConfig(env, '/srv/app');
  } catch (error) {
    if (error instanceof InvalidConfigError) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(env)} to be refused`);
}

describe('loadConfig', () => {
  it('should use the documented defaults when nothing is set', () => {
    expect(loadConfig({}, '/srv/app')).toEqual({
      platform: { logLevel: 'info', logFormat: 'json', httpKeepAliveTimeoutMs: 65_000 },
      httpPort: 3003,
      host: '0.0.0.0',
      tcpPort: 8888,
      dataDir: '/srv/app/.local/data/event-handler',
      inboxRetentionHours: 168,
      rabbitmqUrl: 'amqp://guest:guest@localhost:5672',
      eventLog: { maxAge: '30D', maxLengthBytes: 20_000_000_000 },
      prefetch: 20,
      retry: { delaysMs: [1000, 5000] },
      publishTimeoutMs: 10000,
      maxLineBytes: 16384,
      outboxRetryMs: 5000,
      shutdownGraceMs: 10000,
      rebuildSwapTimeoutMs: 120000,
    });
  });

  it('should read every variable and treat empty values as unset', () => {
    expect(
      loadConfig(
        {
          EVENT_HANDLER_HTTP_PORT: '0',
          EVENT_HANDLER_HOST: '127.0.0.1',
          EVENT_HANDLER_TCP_PORT: '9999',
          EVENT_HANDLER_DATA_DIR: '/var/lib/event-handler',
          EVENT_HANDLER_DATABASE_URL: 'postgresql://hello:secret@db.example:5432/projections',
          EVENT_HANDLER_INBOX_RETENTION_HOURS: '24',
          RABBITMQ_URL: 'amqps://user:secret@broker.example:5671/prod',
          HELLO_EVENT_LOG_MAX_AGE: '7D',
          HELLO_EVENT_LOG_MAX_BYTES: '5000000000',
          EVENT_HANDLER_PREFETCH: '5',
          EVENT_HANDLER_RETRY_DELAYS_MS: '50, 100',
          EVENT_HANDLER_PUBLISH_TIMEOUT_MS: '2000',
          EVENT_HANDLER_MAX_LINE_BYTES: '1024',
          EVENT_HANDLER_OUTBOX_RETRY_MS: '250',
          EVENT_HANDLER_SHUTDOWN_GRACE_MS: '',
          EVENT_HANDLER_REBUILD_SWAP_TIMEOUT_MS: '30000',
          LOG_LEVEL: 'debug',
        },
        '/srv/app',
      ),
    ).toEqual({
      platform: { logLevel: 'debug', logFormat: 'json', httpKeepAliveTimeoutMs: 65_000 },
      httpPort: 0,
      host: '127.0.0.1',
      tcpPort: 9999,
      dataDir: '/var/lib/event-handler',
      databaseUrl: 'postgresql://hello:secret@db.example:5432/projections',
      inboxRetentionHours: 24,
      rabbitmqUrl: 'amqps://user:secret@broker.example:5671/prod',
      eventLog: { maxAge: '7D', maxLengthBytes: 5_000_000_000 },
      prefetch: 5,
      retry: { delaysMs: [50, 100] },
      publishTimeoutMs: 2000,
      maxLineBytes: 1024,
      outboxRetryMs: 250,
      shutdownGraceMs: 10000,
      rebuildSwapTimeoutMs: 30000,
    });
  });

  it('should resolve a relative data folder against the working directory', () => {
    expect(loadConfig({ EVENT_HANDLER_DATA_DIR: 'data' }, '/srv/app').dataDir).toBe('/srv/app/data');
  });

  it.each([
    ['EVENT_HANDLER_HTTP_PORT', '70000'],
    ['EVENT_HANDLER_HTTP_PORT', 'http'],
    ['EVENT_HANDLER_TCP_PORT', '-1'],
    ['EVENT_HANDLER_HOST', 'not a host'],
    ['RABBITMQ_URL', 'http://localhost:5672'],
    ['RABBITMQ_URL', 'nonsense'],
    ['EVENT_HANDLER_PREFETCH', '0'],
    ['EVENT_HANDLER_RETRY_ATTEMPTS', 'three'],
    ['EVENT_HANDLER_RETRY_DELAYS_MS', '100,,200'],
    ['EVENT_HANDLER_RETRY_DELAYS_MS', '0'],
    ['EVENT_HANDLER_PUBLISH_TIMEOUT_MS', '0'],
    ['EVENT_HANDLER_MAX_LINE_BYTES', '0'],
    ['EVENT_HANDLER_MAX_LINE_BYTES', '1000000'],
    ['EVENT_HANDLER_OUTBOX_RETRY_MS', '1.5'],
    ['EVENT_HANDLER_SHUTDOWN_GRACE_MS', '-5'],
    ['EVENT_HANDLER_REBUILD_SWAP_TIMEOUT_MS', '10'],
    ['LOG_LEVEL', 'loud'],
    ['EVENT_HANDLER_DATABASE_URL', 'mysql://user@db.example/projections'],
    ['EVENT_HANDLER_DATABASE_URL', 'projections.sqlite'],
    ['EVENT_HANDLER_INBOX_RETENTION_HOURS', '0'],
    ['HELLO_EVENT_LOG_MAX_AGE', '30'],
    ['HELLO_EVENT_LOG_MAX_AGE', '30 days'],
    ['HELLO_EVENT_LOG_MAX_BYTES', '1000'],
  ])('should refuse %s=%s and name the variable', (variable, value) => {
    const error = errorFor({ [variable]: value });
    expect(error.variable).toBe(variable);
    expect(error.message.startsWith(`${variable}: `)).toBe(true);
  });

  it('should refuse more retry delays than retry queues allow', () => {
    expect(errorFor({ EVENT_HANDLER_RETRY_DELAYS_MS: Array(100).fill('10').join(',') }).variable).toBe(
      'EVENT_HANDLER_RETRY_DELAYS_MS',
    );
  });

  it('should take none for no retry and refuse the removed EVENT_HANDLER_RETRY_ATTEMPTS', () => {
    expect(loadConfig({ EVENT_HANDLER_RETRY_DELAYS_MS: 'none' }, '/srv/app').retry).toEqual({ delaysMs: [] });
    expect(errorFor({ EVENT_HANDLER_RETRY_ATTEMPTS: '3' }).message).toContain('EVENT_HANDLER_RETRY_DELAYS_MS');
  });

  it('should not repeat a broker password in its error', () => {
    const error = errorFor({ RABBITMQ_URL: 'http://user:hunter2@localhost' });
    expect(error.message).not.toContain('hunter2');
  });

  it('should not repeat a database password in its error', () => {
    for (const url of ['mysql://user:hunter2@db.example/x', 'postgres://user:hunter2@/x', 'hunter2 is no URL']) {
      const error = errorFor({ EVENT_HANDLER_DATABASE_URL: url });
      expect(error.variable).toBe('EVENT_HANDLER_DATABASE_URL');
      expect(error.message).not.toContain('hunter2');
    }
  });

  it('should use SQLite when EVENT_HANDLER_DATABASE_URL is unset or empty', () => {
    expect(loadConfig({ EVENT_HANDLER_DATABASE_URL: ' ' }, '/srv/app').databaseUrl).toBeUndefined();
  });
});

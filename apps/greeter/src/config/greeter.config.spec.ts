import { InvalidConfigError as ConfigError } from '@hello/messaging';
import { loadGreeterConfig } from './greeter.config';

function errorFor(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadGreeterConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadGreeterConfig', () => {
  it('should use the documented defaults when nothing is set', () => {
    expect(loadGreeterConfig({})).toEqual({
      platform: { logLevel: 'info', logFormat: 'json', httpKeepAliveTimeoutMs: 65_000 },
      grpcUrl: '0.0.0.0:50051',
      httpPort: 3001,
      maxReceiveMessageBytes: 4096,
      shutdownGraceMs: 10_000,
      rabbitmqUrl: 'amqp://guest:guest@localhost:5672',
      eventLog: { maxAge: '30D', maxLengthBytes: 20_000_000_000 },
      eventsBufferSize: 10_000,
      eventsHighWater: 8_000,
      rpcPrefetch: 100,
    });
  });

  it('should take GREETER_EVENTS_HIGH_WATER up to the buffer size, and refuse more', () => {
    expect(loadGreeterConfig({ GREETER_EVENTS_BUFFER: '100' }).eventsHighWater).toBe(80);
    expect(loadGreeterConfig({ GREETER_EVENTS_BUFFER: '100', GREETER_EVENTS_HIGH_WATER: '100' }).eventsHighWater).toBe(
      100,
    );
    expect(errorFor({ GREETER_EVENTS_BUFFER: '100', GREETER_EVENTS_HIGH_WATER: '101' }).message).toBe(
      'GREETER_EVENTS_HIGH_WATER: must be a whole number from 1 to GREETER_EVENTS_BUFFER (100), got "101"',
    );
    expect(errorFor({ GREETER_EVENTS_HIGH_WATER: '0' }).variable).toBe('GREETER_EVENTS_HIGH_WATER');
  });

  it('should treat empty values as unset', () => {
    expect(loadGreeterConfig({ GREETER_GRPC_URL: '', GREETER_SHUTDOWN_GRACE_MS: ' ' }).grpcUrl).toBe('0.0.0.0:50051');
  });

  it('should read every variable', () => {
    expect(
      loadGreeterConfig({
        GREETER_GRPC_URL: '[::1]:6000',
        GREETER_MAX_RECEIVE_MESSAGE_BYTES: '1024',
        GREETER_SHUTDOWN_GRACE_MS: '0',
        GREETER_HTTP_PORT: '8081',
        LOG_LEVEL: 'debug',
        LOG_FORMAT: 'pretty',
        RABBITMQ_URL: 'amqps://app:secret@rabbit.example:5671/hello%2Fprod',
        GREETER_EVENTS_BUFFER: '1',
        GREETER_RPC_PREFETCH: '7',
      }),
    ).toEqual({
      platform: { logLevel: 'debug', logFormat: 'pretty', httpKeepAliveTimeoutMs: 65_000 },
      grpcUrl: '[::1]:6000',
      httpPort: 8081,
      maxReceiveMessageBytes: 1024,
      shutdownGraceMs: 0,
      rabbitmqUrl: 'amqps://app:secret@rabbit.example:5671/hello%2Fprod',
      eventLog: { maxAge: '30D', maxLengthBytes: 20_000_000_000 },
      eventsBufferSize: 1,
      eventsHighWater: 1,
      rpcPrefetch: 7,
    });
  });

  it.each([
    ['GREETER_GRPC_URL', 'nonsense'],
    ['GREETER_GRPC_URL', 'localhost'],
    ['GREETER_GRPC_URL', 'localhost:0'],
    ['GREETER_GRPC_URL', 'localhost:70000'],
    ['GREETER_GRPC_URL', 'http://localhost:50051'],
    ['GREETER_MAX_RECEIVE_MESSAGE_BYTES', '0'],
    ['GREETER_MAX_RECEIVE_MESSAGE_BYTES', '4k'],
    ['GREETER_SHUTDOWN_GRACE_MS', '-1'],
    ['GREETER_SHUTDOWN_GRACE_MS', '1.5'],
    ['GREETER_HTTP_PORT', '-1'],
    ['LOG_LEVEL', 'loud'],
    ['GREETER_EVENTS_BUFFER', '0'],
    ['GREETER_EVENTS_BUFFER', '1000001'],
    ['GREETER_EVENTS_BUFFER', 'lots'],
    ['GREETER_RPC_PREFETCH', '0'],
    ['GREETER_RPC_PREFETCH', '70000'],
  ])('should reject %s=%s and name the variable', (variable, value) => {
    const error = errorFor({ [variable]: value });
    expect(error.variable).toBe(variable);
    expect(error.message).toMatch(new RegExp(`^${variable}: .*"${value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"`));
  });

  it.each([
    ['http://localhost:5672', 'protocol must be amqp: or amqps:, got "http:"'],
    ['localhost:5672', 'protocol must be amqp: or amqps:, got "localhost:"'],
    ['not a url', '"not a url" is not a URL'],
  ])('should reject RABBITMQ_URL=%s and name the variable', (value, problem) => {
    const error = errorFor({ RABBITMQ_URL: value });
    expect(error.variable).toBe('RABBITMQ_URL');
    expect(error.message).toContain(`RABBITMQ_URL: ${problem}`);
  });

  it('should not show the broker password in an error', () => {
    const error = errorFor({ RABBITMQ_URL: 'amqp//app:s3cret@rabbit' });
    expect(error.variable).toBe('RABBITMQ_URL');
    expect(error.message).not.toContain('s3cret');
  });

  describe('TLS files', () => {
    // Any readable file will do here: the certificates themselves are checked by the TLS specs.
    const pem = __filename;

    it('should read the certificate and key, and the client CA for mutual TLS', () => {
      const { grpcTls } = loadGreeterConfig({
        GREETER_TLS_CERT_FILE: pem,
        GREETER_TLS_KEY_FILE: pem,
        GREETER_TLS_CLIENT_CA_FILE: pem,
      });
      expect(grpcTls?.cert.length).toBeGreaterThan(0);
      expect(grpcTls?.key.length).toBeGreaterThan(0);
      expect(grpcTls?.clientCa?.length).toBeGreaterThan(0);
      expect(
        loadGreeterConfig({ GREETER_TLS_CERT_FILE: pem, GREETER_TLS_KEY_FILE: pem }).grpcTls?.clientCa,
      ).toBeUndefined();
    });

    it('should want the certificate and key together', () => {
      expect(errorFor({ GREETER_TLS_CERT_FILE: pem }).message).toBe(
        'GREETER_TLS_KEY_FILE: GREETER_TLS_CERT_FILE and GREETER_TLS_KEY_FILE must be set together',
      );
      expect(errorFor({ GREETER_TLS_KEY_FILE: pem }).variable).toBe('GREETER_TLS_CERT_FILE');
    });

    it('should refuse a client CA without a server certificate', () => {
      expect(errorFor({ GREETER_TLS_CLIENT_CA_FILE: pem }).message).toBe(
        'GREETER_TLS_CLIENT_CA_FILE: client certificates need TLS: set GREETER_TLS_CERT_FILE and GREETER_TLS_KEY_FILE too',
      );
    });

    it('should name a file it cannot read', () => {
      expect(errorFor({ GREETER_TLS_CERT_FILE: '/nonexistent/cert.pem', GREETER_TLS_KEY_FILE: pem }).message).toBe(
        'GREETER_TLS_CERT_FILE: cannot read "/nonexistent/cert.pem": ENOENT',
      );
    });
  });
});

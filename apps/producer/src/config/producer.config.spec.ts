import { InvalidConfigError } from '@hello/messaging';
import { loadProducerConfig } from './producer.config';

describe('loadProducerConfig', () => {
  it('should use the documented defaults', () => {
    expect(loadProducerConfig({})).toEqual({
      platform: { logLevel: 'info', logFormat: 'json', httpKeepAliveTimeoutMs: 65_000 },
      httpPort: 3000,
      rabbitmqUrl: 'amqp://guest:guest@localhost:5672',
      eventLog: { maxAge: '30D', maxLengthBytes: 20_000_000_000 },
      publishTimeoutMs: 5000,
      retryAfterSeconds: 5,
      rpcTimeoutMs: 5000,
    });
  });

  it('should read every variable', () => {
    expect(
      loadProducerConfig({
        PRODUCER_HTTP_PORT: '8080',
        RABBITMQ_URL: 'amqps://u:p@broker:5671/v%2Fh',
        PRODUCER_PUBLISH_TIMEOUT_MS: '250',
        LOG_LEVEL: 'debug',
        LOG_FORMAT: 'pretty',
        PRODUCER_RETRY_AFTER_SECONDS: '30',
        PRODUCER_RPC_TIMEOUT_MS: '1500',
        HTTP_DOCS: 'off',
      }),
    ).toEqual({
      platform: { logLevel: 'debug', logFormat: 'pretty', httpKeepAliveTimeoutMs: 65_000, httpDocs: false },
      httpPort: 8080,
      rabbitmqUrl: 'amqps://u:p@broker:5671/v%2Fh',
      eventLog: { maxAge: '30D', maxLengthBytes: 20_000_000_000 },
      publishTimeoutMs: 250,
      retryAfterSeconds: 30,
      rpcTimeoutMs: 1500,
    });
  });

  it.each([
    ['PRODUCER_HTTP_PORT', 'http'],
    ['PRODUCER_HTTP_PORT', '70000'],
    ['RABBITMQ_URL', 'http://localhost:5672'],
    ['RABBITMQ_URL', 'not a url'],
    ['PRODUCER_PUBLISH_TIMEOUT_MS', '10'],
    ['PRODUCER_PUBLISH_TIMEOUT_MS', '1.5'],
    ['LOG_LEVEL', 'loud'],
    ['LOG_FORMAT', 'xml'],
    ['PRODUCER_RETRY_AFTER_SECONDS', '0'],
    ['PRODUCER_RPC_TIMEOUT_MS', '99'],
    ['PRODUCER_RPC_TIMEOUT_MS', 'soon'],
  ])('should reject %s=%s naming the variable', (variable, value) => {
    const error = (() => {
      try {
        loadProducerConfig({ [variable]: value });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(InvalidConfigError);
    expect((error as InvalidConfigError).variable).toBe(variable);
    expect((error as Error).message).toMatch(new RegExp(`^${variable}: `));
  });
});

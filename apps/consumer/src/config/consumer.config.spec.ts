import { attemptsOf, InvalidConfigError } from '@hello/messaging';
import { loadConsumerConfig } from './consumer.config';

function errorFor(env: Record<string, string>): InvalidConfigError {
  try {
    loadConsumerConfig(env);
  } catch (error) {
    if (error instanceof InvalidConfigError) return error;
    throw error;
  }
  throw new Error('expected an InvalidConfigError');
}

describe('loadConsumerConfig', () => {
  it('should use the documented defaults', () => {
    expect(loadConsumerConfig({})).toEqual({
      platform: { logLevel: 'info', logFormat: 'json', httpKeepAliveTimeoutMs: 65_000 },
      httpPort: 3002,
      rabbitmqUrl: 'amqp://guest:guest@localhost:5672',
      eventLog: { maxAge: '30D', maxLengthBytes: 20_000_000_000 },
      prefetch: 20,
      retry: { delaysMs: [1000, 5000] },
      deduplicationCapacity: 10_000,
      drainTimeoutMs: 30_000,
    });
  });

  it('should read every variable', () => {
    expect(
      loadConsumerConfig({
        CONSUMER_HTTP_PORT: '4002',
        RABBITMQ_URL: 'amqp://u:p@rabbit:5672/%2F',
        CONSUMER_PREFETCH: '5',
        CONSUMER_RETRY_DELAYS_MS: '10, 20,30',
        CONSUMER_DEDUP_CAPACITY: '0',
        CONSUMER_DRAIN_TIMEOUT_MS: '500',
        LOG_LEVEL: 'warn',
      }),
    ).toEqual({
      platform: { logLevel: 'warn', logFormat: 'json', httpKeepAliveTimeoutMs: 65_000 },
      httpPort: 4002,
      rabbitmqUrl: 'amqp://u:p@rabbit:5672/%2F',
      eventLog: { maxAge: '30D', maxLengthBytes: 20_000_000_000 },
      prefetch: 5,
      retry: { delaysMs: [10, 20, 30] },
      deduplicationCapacity: 0,
      drainTimeoutMs: 500,
    });
  });

  it('should count the tries from the delays, none for no retry', () => {
    const none = loadConsumerConfig({ CONSUMER_RETRY_DELAYS_MS: 'none' }).retry;
    expect(none).toEqual({ delaysMs: [] });
    expect(attemptsOf(none)).toBe(1);
    const one = loadConsumerConfig({ CONSUMER_RETRY_DELAYS_MS: '1000' }).retry;
    expect(one).toEqual({ delaysMs: [1000] });
    expect(attemptsOf(one)).toBe(2);
    expect(attemptsOf(loadConsumerConfig({}).retry)).toBe(3);
  });

  it.each([
    ['CONSUMER_HTTP_PORT', '0'],
    ['RABBITMQ_URL', 'localhost:5672'],
    ['CONSUMER_PREFETCH', '0'],
    ['CONSUMER_PREFETCH', 'many'],
    // Removed: the delays set the number of tries; a leftover setting must not be ignored silently.
    ['CONSUMER_RETRY_ATTEMPTS', '3'],
    ['CONSUMER_RETRY_DELAYS_MS', '1000,soon'],
    ['CONSUMER_RETRY_DELAYS_MS', '0'],
    ['CONSUMER_RETRY_DELAYS_MS', 'none,1'],
    ['CONSUMER_RETRY_DELAYS_MS', Array(100).fill('1').join(',')],
    ['CONSUMER_DEDUP_CAPACITY', '-1'],
  ])('should reject %s=%s naming the variable', (variable, value) => {
    const error = errorFor({ [variable]: value });
    expect(error.variable).toBe(variable);
    expect(error.message.startsWith(`${variable}: `)).toBe(true);
  });
});

import { InvalidConfigError } from '@hello/messaging';
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
      platform: { logLevel: 'info', logFormat: 'json' },
      httpPort: 3002,
      rabbitmqUrl: 'amqp://guest:guest@localhost:5672',
      prefetch: 20,
      retry: { attempts: 3, delaysMs: [1000, 5000] },
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
        CONSUMER_RETRY_ATTEMPTS: '4',
        CONSUMER_RETRY_DELAYS_MS: '10, 20,30',
        CONSUMER_DEDUP_CAPACITY: '0',
        CONSUMER_DRAIN_TIMEOUT_MS: '500',
        LOG_LEVEL: 'warn',
      }),
    ).toEqual({
      platform: { logLevel: 'warn', logFormat: 'json' },
      httpPort: 4002,
      rabbitmqUrl: 'amqp://u:p@rabbit:5672/%2F',
      prefetch: 5,
      retry: { attempts: 4, delaysMs: [10, 20, 30] },
      deduplicationCapacity: 0,
      drainTimeoutMs: 500,
    });
  });

  it('should cut the default delays to the attempts', () => {
    expect(loadConsumerConfig({ CONSUMER_RETRY_ATTEMPTS: '1' }).retry).toEqual({
      attempts: 1,
      delaysMs: [1000],
    });
    expect(loadConsumerConfig({ CONSUMER_RETRY_ATTEMPTS: '2' }).retry).toEqual({
      attempts: 2,
      delaysMs: [1000],
    });
  });

  it.each([
    ['CONSUMER_HTTP_PORT', '0'],
    ['RABBITMQ_URL', 'localhost:5672'],
    ['CONSUMER_PREFETCH', '0'],
    ['CONSUMER_PREFETCH', 'many'],
    ['CONSUMER_RETRY_ATTEMPTS', '0'],
    ['CONSUMER_RETRY_DELAYS_MS', '1000,soon'],
    ['CONSUMER_RETRY_DELAYS_MS', '0'],
    ['CONSUMER_RETRY_DELAYS_MS', '1,2,3'],
    ['CONSUMER_DEDUP_CAPACITY', '-1'],
  ])('should reject %s=%s naming the variable', (variable, value) => {
    const error = errorFor({ [variable]: value });
    expect(error.variable).toBe(variable);
    expect(error.message.startsWith(`${variable}: `)).toBe(true);
  });
});

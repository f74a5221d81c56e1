import { AmqpServer, SettledDelivery } from '@hello/messaging';
import { ConsumerMetrics } from './consumer-metrics';

describe('ConsumerMetrics', () => {
  it('should count retries and dead letters whose copy was published, duplicates, and handled messages', () => {
    let listener: (delivery: SettledDelivery) => void = () => undefined;
    const server = {
      on: (_event: string, callback: typeof listener) => (listener = callback),
    } as unknown as AmqpServer;
    const metrics = new ConsumerMetrics(server);
    const base = {
      messageId: 'm',
      pattern: 'p',
      attempt: 1,
      acked: true,
      durationMs: 1,
    } as const;

    listener({ ...base, outcome: 'failed', action: 'retry', copied: true });
    listener({ ...base, outcome: 'failed', action: 'retry', copied: true });
    listener({
      ...base,
      outcome: 'failed',
      action: 'retry',
      copied: false,
      acked: false,
    });
    listener({
      ...base,
      outcome: 'failed',
      action: 'dead-letter',
      copied: true,
      reason: 'handler-failed',
    });
    listener({ ...base, outcome: 'duplicate', action: 'ack', copied: false });
    listener({ ...base, outcome: 'handled', action: 'ack', copied: false });
    metrics.countHandled();

    expect(metrics.snapshot()).toEqual({
      handled: 1,
      retried: 2,
      deadLettered: 1,
      duplicates: 1,
    });
  });
});

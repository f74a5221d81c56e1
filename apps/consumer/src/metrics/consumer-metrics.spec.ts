import { AmqpServer, SettledDelivery } from '@hello/messaging';
import { ConsumerMetrics } from './consumer-metrics';

describe('ConsumerMetrics', () => {
  it('should count retries, dead letters and duplicates from settled deliveries, and handled messages', () => {
    let listener: (delivery: SettledDelivery) => void = () => undefined;
    const server = { on: (_event: string, callback: typeof listener) => (listener = callback) } as unknown as AmqpServer;
    const metrics = new ConsumerMetrics(server);
    const base = { messageId: 'm', pattern: 'p', attempt: 1, acked: true, durationMs: 1 } as const;

    listener({ ...base, outcome: 'failed', action: 'retry' });
    listener({ ...base, outcome: 'failed', action: 'retry' });
    listener({ ...base, outcome: 'failed', action: 'dead-letter', reason: 'handler-failed' });
    listener({ ...base, outcome: 'duplicate', action: 'ack' });
    listener({ ...base, outcome: 'handled', action: 'ack' });
    metrics.countHandled();

    expect(metrics.snapshot()).toEqual({ handled: 1, retried: 2, deadLettered: 1, duplicates: 1 });
  });
});

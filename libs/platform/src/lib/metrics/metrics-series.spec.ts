import { EventEmitter } from 'node:events';
import { observeAmqpServer, publishMetrics } from './amqp-metrics';
import { Metrics } from './metrics';

/** The samples of `name` in the text exposition, as `{labels} value` lines. */
async function samples(metrics: Metrics, name: string): Promise<string[]> {
  const { body } = await metrics.render();
  return body
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`))
    .map((line) => line.slice(name.length));
}

describe('metrics series of the hot paths (one child per label set, looked up by key)', () => {
  it('should count and time each settled delivery under its queue and outcome', async () => {
    const metrics = new Metrics();
    const server = Object.assign(new EventEmitter(), { queue: 'hello', inFlightCount: 0 });
    observeAmqpServer(metrics, server);
    const settle = (action: string, outcome: string, copied = true) =>
      server.emit('settled', { action, outcome, copied, durationMs: 2 });
    settle('ack', 'handled');
    settle('ack', 'handled');
    settle('dead-letter', 'rejected');
    settle('retry', 'failed', false);
    settle('ack', 'duplicate');

    expect(await samples(metrics, 'amqp_messages_consumed_total')).toEqual([
      '{queue="hello",outcome="ack"} 2',
      '{queue="hello",outcome="dead-letter"} 1',
      '{queue="hello",outcome="requeue"} 1',
      '{queue="hello",outcome="duplicate"} 1',
    ]);
    expect(await samples(metrics, 'amqp_message_handling_seconds_count')).toContain('{queue="hello",outcome="ack"} 2');
    expect(await samples(metrics, 'amqp_message_handling_seconds_sum')).toContain(
      '{queue="hello",outcome="ack"} 0.004',
    );
  });

  it('should count publishes by exchange and outcome, the default exchange named, a colon in a name kept', async () => {
    const metrics = new Metrics();
    const observer = publishMetrics(metrics, 'test', () => 0);
    observer.published('hello.events', 'confirmed', 0.001);
    observer.published('hello.events', 'confirmed', 0.001);
    observer.published('', 'confirmed', 0.002);
    observer.published('a:b', 'failed', 0.003);

    expect(await samples(metrics, 'amqp_messages_published_total')).toEqual([
      '{exchange="hello.events",outcome="confirmed"} 2',
      '{exchange="(default)",outcome="confirmed"} 1',
      '{exchange="a:b",outcome="failed"} 1',
    ]);
    expect(await samples(metrics, 'amqp_publish_confirm_seconds_count')).toContain(
      '{exchange="a:b",outcome="failed"} 1',
    );
  });
});

import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { INestApplication } from '@nestjs/common';
import { HELLO_MESSAGE_TYPE, Topology } from '@hello/contracts';
import { workQueueArguments } from '@hello/messaging';
import {
  AmqpTestClient,
  freePort,
  OwnBroker,
  startOwnBroker,
  waitFor,
  scrapeMetrics,
  testPlatformConfig,
} from '@hello/testing';
import { ConsumerConfig } from '../src/config/consumer.config';
import { createConsumerApp, startConsumerApp } from '../src/consumer.app';
import { ConsumerBroker } from '../src/messaging/consumer-broker';

const ROOT = path.resolve(__dirname, '..', '..', '..');

// A node of this spec's own: a memory alarm blocks every publisher of the node it is raised on.
describe('consumer health while the broker blocks publishing (a real memory alarm)', () => {
  let broker: OwnBroker;
  let app: INestApplication | undefined;
  let client: AmqpTestClient | undefined;
  let baseUrl: string;

  // rabbitmqctl reaches the node with the node's own cookie (in its HOME).
  const rabbitmqctl = (...args: string[]) =>
    promisify(execFile)('/usr/lib/rabbitmq/bin/rabbitmqctl', ['-n', `${broker.name}@localhost`, ...args], {
      env: {
        ...process.env,
        HOME: path.join(ROOT, '.local', 'rabbitmq', broker.name),
      },
    });

  beforeAll(async () => {
    broker = await startOwnBroker('blocked');
    client = await AmqpTestClient.connect(broker.url);
  }, 60_000);

  const startConsumer = async () => {
    const port = await freePort();
    const config: ConsumerConfig = {
      platform: testPlatformConfig(),
      httpPort: port,
      rabbitmqUrl: broker.url,
      prefetch: 10,
      retry: { delaysMs: [200] },
      deduplicationCapacity: 1000,
      drainTimeoutMs: 1_000,
    };
    ({ app } = await startConsumerApp(await createConsumerApp(config, { logger: false }), config));
    baseUrl = `http://127.0.0.1:${port}`;
  };

  afterAll(async () => {
    await rabbitmqctl('set_vm_memory_high_watermark', '0.4').catch(() => undefined);
    await client?.close();
    await app?.close();
    await broker?.stop();
  }, 60_000);

  const health = async () => {
    const response = await fetch(`${baseUrl}/health/ready`);
    return { status: response.status, body: await response.json() };
  };

  it('should answer 503 with the reason while blocked, 200 again after, and count the blocked time', async () => {
    // The message waits on hello; the broker blocks a connection when it next publishes, here the
    // consumer's effect of that message, handled once the alarm is on.
    await client?.channel.assertQueue(Topology.helloQueue, {
      durable: true,
      arguments: workQueueArguments(Topology.helloQueue),
    });
    await client?.publish(Topology.helloQueue, JSON.stringify({ text: 'blocked' }), {
      messageId: 'during-alarm',
      type: HELLO_MESSAGE_TYPE,
      contentType: 'application/json',
    });
    await rabbitmqctl('set_vm_memory_high_watermark', '0.0001');
    await startConsumer();
    const blocked = await waitFor(
      async () => {
        const current = await health();
        return current.status === 503 ? current : undefined;
      },
      { timeoutMs: 30_000, message: '/health to report the block' },
    );
    expect(blocked.body.status).toBe('error');
    expect(
      Object.values(blocked.body.error as Record<string, { reason?: string }>).map((part) => part.reason),
    ).toContain('blocked: low on memory');

    await rabbitmqctl('set_vm_memory_high_watermark', '0.4');
    await waitFor(async () => (await health()).status === 200, {
      timeoutMs: 30_000,
      message: '/health to be 200 again',
    });
    expect(app?.get(ConsumerBroker).connection.blockedSeconds).toBeGreaterThan(0);
    const scrape = await scrapeMetrics(baseUrl);
    expect(scrape.value('amqp_connection_blocked_seconds_total', { connection: 'consumer.publisher' })).toBeGreaterThan(
      0,
    );
    expect((await health()).body.status).toBe('ok');
  }, 90_000);
});

import {
  AmqpTestClient,
  freePort,
  jsonOf,
  managementApi,
  managementRequest,
  type OwnBroker,
  startOwnBroker,
  waitFor,
} from '@hello/testing';
import type { GreeterApp } from '../src/greeter.app';
import { GreeterBroker } from '../src/messaging/greeter-broker';
import {
  CapturingLogger,
  greeterClient,
  healthClient,
  sayHello,
  startGreeterWith,
  unary,
  type DynamicClient,
} from './support/greeter-harness';
import { disposeBroker } from './support/own-broker';

// A RabbitMQ node of this spec's own, so that it can be down, stopped and started again. Its data
// survive a restart: the queue bound once is there after an outage.
const EVENTS_QUEUE = 'greeter-outage.greeting-events';
// The greeter logs in as a user of its own, which the test creates once the queue is bound: until
// then the node refuses the greeter, so no event can reach the exchange before the queue is there.
const GREETER_USER = { name: 'greeter', password: 'greeter-secret' };

async function drainNames(broker: OwnBroker, count: number): Promise<string[]> {
  const amqp = await AmqpTestClient.connect(broker.url);
  try {
    const received = await amqp.collect(EVENTS_QUEUE);
    await waitFor(() => received.length >= count, { timeoutMs: 15_000, message: `${count} greeting.greeted messages` });
    await new Promise((resolve) => setTimeout(resolve, 200));
    return received.map((message) => jsonOf<{ name: string }>(message).name).sort();
  } finally {
    await amqp.close();
  }
}

describe('greeting.greeted events across broker outages (a node of its own, down, then stopped)', () => {
  let port: number;
  let broker: OwnBroker | undefined;
  let greeter: GreeterApp | undefined;
  const logger = new CapturingLogger();
  const clients: DynamicClient[] = [];

  beforeAll(async () => {
    port = await freePort();
  });

  afterAll(async () => {
    clients.forEach((client) => client.close());
    try {
      if (greeter) {
        // Only after a failure: give up the pending events rather than wait out the grace period.
        greeter.app.get(GreeterBroker).events.close();
        greeter.forceShutdown();
        await greeter.shutdown();
      }
    } finally {
      if (broker) await disposeBroker(broker);
    }
  }, 60_000);

  it('should start and serve while no broker runs, then publish the waiting events once one is up', async () => {
    greeter = await startGreeterWith((builder) => builder, logger, {
      rabbitmqUrl: `amqp://${GREETER_USER.name}:${GREETER_USER.password}@127.0.0.1:${port}`,
      // Long enough for the node to boot during the flush of the next test.
      shutdownGraceMs: 30_000,
    });
    const client = greeterClient(greeter.url);
    const health = healthClient(greeter.url);
    clients.push(client, health);
    const events = greeter.app.get(GreeterBroker).events;
    // The client's connection is made first, so that the timings below are of the calls alone.
    await expect(unary(health, 'Check', { service: '' })).resolves.toEqual({ status: 'SERVING' });

    for (const name of ['early-1', 'early-2']) {
      const startedAt = Date.now();
      await expect(sayHello(client, { name })).resolves.toEqual({ message: `Hello, ${name}!` });
      expect(Date.now() - startedAt).toBeLessThan(1_000);
    }
    await expect(unary(health, 'Check', { service: '' })).resolves.toEqual({ status: 'SERVING' });
    expect(events.stats()).toMatchObject({ published: 0, queued: 2 });

    broker = await startOwnBroker('greeter-outage', { port });
    const amqp = await AmqpTestClient.connect(broker.url);
    await amqp.bindQueue(EVENTS_QUEUE, 'hello.events', 'greeting.greeted');
    await amqp.close();
    const api = managementApi(broker.managementUrl);
    await managementRequest(api, 'PUT', `users/${GREETER_USER.name}`, { password: GREETER_USER.password, tags: '' });
    await managementRequest(api, 'PUT', `permissions/%2F/${GREETER_USER.name}`, {
      configure: '.*',
      write: '.*',
      read: '.*',
    });

    await expect(drainNames(broker, 2)).resolves.toEqual(['early-1', 'early-2']);
    expect(events.stats()).toMatchObject({ published: 2, dropped: 0, queued: 0, unconfirmed: 0 });
  }, 60_000);

  it('should keep events through a broker outage and flush them at shutdown, before closing the connection', async () => {
    if (!greeter || !broker) throw new Error('needs the greeter and broker of the previous test');
    const running = greeter;
    const [client] = clients;
    const events = running.app.get(GreeterBroker).events;
    await sayHello(client, { name: 'before-outage' });
    await waitFor(() => events.stats().published === 3, { message: 'the event before the outage to be confirmed' });
    await expect(drainNames(broker, 1)).resolves.toEqual(['before-outage']);

    await broker.halt();
    for (const name of ['during-1', 'during-2', 'during-3']) {
      const startedAt = Date.now();
      await expect(sayHello(client, { name })).resolves.toEqual({ message: `Hello, ${name}!` });
      expect(Date.now() - startedAt).toBeLessThan(1_000);
    }
    expect(events.pending).toBe(3);

    // Shutdown waits for the flush; the broker comes back while it waits.
    let closed = false;
    const closing = running.shutdown().then(() => (closed = true));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(closed).toBe(false);
    await broker.restart();
    await closing;
    greeter = undefined;

    expect(events.stats()).toMatchObject({ published: 6, dropped: 0, queued: 0, unconfirmed: 0 });
    const lines = logger.entries.map((entry) => entry.message);
    expect(lines).toContainEqual(expect.stringMatching(/^flushing 3 pending events \(for up to \d+ ms\)$/));
    expect(lines).toContainEqual(expect.stringMatching(/^events: published 6, retried \d+, dropped 0$/));
    expect(lines.filter((line) => line.includes('could not be sent'))).toEqual([]);
    await expect(drainNames(broker, 3)).resolves.toEqual(['during-1', 'during-2', 'during-3']);
  }, 60_000);
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as amqp from 'amqplib';
import { MessageHandledIntegrationEvent, Topology } from '@hello/contracts';
import { QUORUM_INITIAL_GROUP_SIZE } from '@hello/messaging';
import { freePort, spawnApp, type SpawnedApp, waitFor } from '@hello/testing';
import { startCluster } from '@hello/infra/rabbitmq/cluster';

// A three-node RabbitMQ cluster of the test's own (cluster.cjs) under the real apps, each in its own
// process with RABBITMQ_URL listing every node: one producer, two competing consumers and an
// event-handler. While 10,000 messages flow producer → consumers → event-handler, the node that leads
// `hello` is killed (SIGKILL), and later one consumer replica is killed too. Every message the producer
// confirmed (202) must be counted exactly once by the event-handler; the apps must carry on by
// themselves, without a restart.

jest.setTimeout(600_000);

const MESSAGES = 10_000;
const CONCURRENCY = 24;

interface Node {
  nodeName: string;
  dir: string;
  url: string;
  running: boolean;
  ctl(args: string[], tool?: string): Promise<string>;
  kill(): Promise<void>;
}
interface Cluster {
  nodes: Node[];
  url: string;
  epmdPort: number;
  leaderOf(queue: string): Promise<Node | undefined>;
  stop(): Promise<void>;
}
// Another tool's plain CommonJS script, loaded by path.
const { checkHttp } = require(join(__dirname, '..', '..', 'stack', 'healthcheck.cjs')) as {
  checkHttp(url: string): Promise<string | null>;
};

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The node list starting at node `first`, so that the apps spread their connections over the nodes. */
function rotated(cluster: Cluster, first: number): string {
  const urls = cluster.nodes.map((n) => n.url);
  return [...urls.slice(first), ...urls.slice(0, first)].join(',');
}

async function stats(port: number): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${port}/stats`);
  const body = (await res.json()) as { messages: { handled: number } };
  return body.messages.handled;
}

describe('the apps on a three-node cluster when the node leading hello is killed', () => {
  let cluster: Cluster;
  let dataDir: string;
  const apps: SpawnedApp[] = [];
  const ports: Record<string, number> = {};

  const consumerEnv = async (first: number) => ({
    RABBITMQ_URL: rotated(cluster, first),
    CONSUMER_HTTP_PORT: String(await freePort()),
  });

  beforeAll(async () => {
    cluster = await startCluster({
      nodes: 3,
      name: `failover-${process.pid}`,
      epmdPort: await freePort(),
      management: false,
    });
    dataDir = mkdtempSync(join(tmpdir(), 'hello-failover-'));
    for (const name of ['producer', 'consumerA', 'consumerB', 'eventHandler', 'tcp']) ports[name] = await freePort();

    // A tap on the events exchange, replicated like the apps' queues: every message.handled published.
    const setup = await amqp.connect(cluster.nodes[2].url);
    const channel = await setup.createChannel();
    await channel.assertExchange(Topology.eventsExchange, 'topic', { durable: true });
    await channel.assertQueue('failover.tap', {
      durable: true,
      arguments: { 'x-queue-type': 'quorum', 'x-quorum-initial-group-size': QUORUM_INITIAL_GROUP_SIZE },
    });
    await channel.bindQueue('failover.tap', Topology.eventsExchange, MessageHandledIntegrationEvent.routingKey);
    await setup.close();

    apps.push(
      spawnApp('apps/producer/src/main.ts', {
        RABBITMQ_URL: rotated(cluster, 0),
        PRODUCER_HTTP_PORT: String(ports['producer']),
        // Long enough to ride out a failover: a request waits for its confirm instead of failing.
        PRODUCER_PUBLISH_TIMEOUT_MS: '60000',
      }),
      spawnApp('apps/consumer/src/main.ts', {
        ...(await consumerEnv(1)),
        CONSUMER_HTTP_PORT: String(ports['consumerA']),
      }),
      spawnApp('apps/consumer/src/main.ts', {
        ...(await consumerEnv(2)),
        CONSUMER_HTTP_PORT: String(ports['consumerB']),
      }),
      spawnApp('apps/event-handler/src/main.ts', {
        RABBITMQ_URL: rotated(cluster, 1),
        EVENT_HANDLER_HOST: '127.0.0.1',
        EVENT_HANDLER_HTTP_PORT: String(ports['eventHandler']),
        EVENT_HANDLER_TCP_PORT: String(ports['tcp']),
        EVENT_HANDLER_DATA_DIR: dataDir,
      }),
    );
    await waitFor(
      async () => {
        const checks = await Promise.all(
          ['producer', 'consumerA', 'consumerB', 'eventHandler'].map((app) =>
            checkHttp(`http://127.0.0.1:${ports[app]}/health/ready`),
          ),
        );
        return checks.every((c) => c === null);
      },
      { timeoutMs: 180_000, intervalMs: 500, message: 'the apps did not become healthy on the cluster' },
    );
  }, 600_000);

  afterAll(async () => {
    await Promise.all(apps.map((app) => app.stop()));
    await cluster?.stop();
    for (const node of cluster?.nodes ?? []) rmSync(node.dir, { recursive: true, force: true });
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('should replicate hello and its dead-letter, retry and event queues over the three nodes', async () => {
    const out = await cluster.nodes[0].ctl(['list_queues', 'name', 'type', 'members', '--no-table-headers', '--quiet']);
    const queues = out
      .trim()
      .split('\n')
      .map((line) => line.trim().split(/\s+/));
    const byName = new Map(queues.map(([name, type, ...members]) => [name, { type, members: members.join(' ') }]));
    for (const name of ['hello', 'hello.dead', 'hello.retry.1', 'event-handler.events', 'event-handler.events.dead']) {
      const queue = byName.get(name);
      expect({ name, type: queue?.type }).toEqual({ name, type: 'quorum' });
      for (const node of cluster.nodes)
        expect({ name, members: queue?.members }).toEqual({ name, members: expect.stringContaining(node.nodeName) });
    }
  });

  it('should count every confirmed message exactly once through a leader kill -9 and a consumer kill -9', async () => {
    const confirmed = new Set<string>();
    let failed = 0;
    let next = 0;
    let leaderKilledAt: number | undefined;
    let firstConfirmAfterKill: number | undefined;
    let killedLeader = '';
    const events: Promise<void>[] = [];

    const send = async (n: number) => {
      const started = Date.now();
      try {
        const res = await fetch(`http://127.0.0.1:${ports['producer']}/messages`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ text: `failover ${n}` }),
        });
        const body = (await res.json()) as { id?: string };
        if (res.status === 202 && body.id) {
          confirmed.add(body.id);
          if (leaderKilledAt && started > leaderKilledAt && !firstConfirmAfterKill) firstConfirmAfterKill = Date.now();
        } else failed++;
      } catch {
        failed++;
      }
    };
    const worker = async () => {
      while (next < MESSAGES) {
        const n = next++;
        if (n === Math.floor(MESSAGES * 0.3)) {
          events.push(
            (async () => {
              const leader = await cluster.leaderOf('hello');
              if (!leader) throw new Error('hello has no leader');
              killedLeader = leader.nodeName;
              leaderKilledAt = Date.now();
              await leader.kill();
            })(),
          );
        }
        if (n === Math.floor(MESSAGES * 0.6)) {
          // A consumer replica crashes with messages in flight: they are redelivered to the other one.
          events.push(apps[1].stop());
        }
        await send(n);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    await Promise.all(events);

    // Nearly everything is confirmed (the producer waits out the failover); whatever was not is not
    // counted as confirmed, and may or may not arrive.
    expect(confirmed.size + failed).toBe(MESSAGES);
    expect(confirmed.size).toBeGreaterThan(MESSAGES * 0.9);
    expect(killedLeader).not.toBe('');

    // The effects as published, read from the tap: one distinct event id per handled message.
    const published = new Set<string>();
    // Read on a node that is still up (the killed one may have held any connection).
    const survivor = cluster.nodes.find((n) => n.running) as Node;
    const tap = await amqp.connect(survivor.url);
    const channel = await tap.createChannel();
    await channel.prefetch(1000);
    await channel.consume('failover.tap', (message) => {
      if (!message) return;
      published.add(message.properties.messageId as string);
      channel.ack(message);
    });
    const missing = () => [...confirmed].filter((id) => !published.has(MessageHandledIntegrationEvent.eventIdFor(id)));
    await waitFor(() => missing().length === 0, {
      timeoutMs: 300_000,
      intervalMs: 1000,
      message: 'every confirmed message handled (see the tap)',
    });
    // The event-handler settles at exactly the number of distinct effects: none lost, none twice.
    await waitFor(async () => (await stats(ports['eventHandler'])) >= published.size, {
      timeoutMs: 300_000,
      intervalMs: 1000,
      message: 'the event-handler to count every handled message',
    });
    await new Promise((r) => setTimeout(r, 3000));
    await tap.close();
    expect(await stats(ports['eventHandler'])).toBe(published.size);
    expect(published.size).toBeGreaterThanOrEqual(confirmed.size);
    expect(published.size).toBeLessThanOrEqual(MESSAGES);

    // The surviving apps reconnected by themselves: same processes, healthy, no restart.
    for (const app of [apps[0], apps[2], apps[3]])
      expect({ pid: app.pid, alive: isAlive(app.pid) }).toEqual({ pid: app.pid, alive: true });
    for (const name of ['producer', 'consumerB', 'eventHandler']) {
      await waitFor(async () => (await checkHttp(`http://127.0.0.1:${ports[name]}/health/ready`)) === null, {
        timeoutMs: 60_000,
        message: `${name} is not healthy after the failover`,
      });
    }
    const resumedMs = leaderKilledAt && firstConfirmAfterKill ? firstConfirmAfterKill - leaderKilledAt : undefined;
    process.stdout.write(
      `failover: killed ${killedLeader}; ${confirmed.size} confirmed, ${failed} failed, ${published.size} handled; a request sent after the kill first confirmed ${resumedMs} ms after it\n`,
    );
  });
});

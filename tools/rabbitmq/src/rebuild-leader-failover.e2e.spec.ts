import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as amqp from 'amqplib';
import { GreetingGreetedIntegrationEvent, integrationEventMessage, Topology } from '@hello/contracts';
import { declareTopology, eventLogTopology } from '@hello/messaging';
import { freePort, spawnApp, type SpawnedApp, waitFor } from '@hello/testing';
import { startCluster } from '@hello/infra/rabbitmq/cluster';

/** What the spec reads of the event-handler's answers (GET /projections, /projections/rebuild, /stats, /greetings/by-hour). */
interface ProjectionStatus {
  readonly state: string;
}
interface RebuildReport {
  readonly id: string;
  readonly state: string;
  readonly entriesRead: number;
}
interface Stats {
  readonly greetings: { readonly total: number; readonly names: number };
  readonly outbox: { readonly pending: number; readonly sent: number };
}
interface GreetingsByHour {
  readonly hours: readonly { readonly count: number }[];
}

// A rebuild on a three-node cluster of the test's own, the event log replicated on all three: the node
// leading the stream (and holding the event-handler's connections) is killed (SIGKILL) while the rebuild
// reads; the reader resumes on another node after its last offset and the swapped-in tables are exact.

jest.setTimeout(600_000);

const HISTORY = 19_200;
const NAMES = 400;
const DAY = '2026-03-01';

type Cluster = Awaited<ReturnType<typeof startCluster>>;
type Node = Cluster['nodes'][number];

describe('a rebuild when the node leading the event log is killed', () => {
  let cluster: Cluster;
  let app: SpawnedApp | undefined;
  let dataDir: string;
  let httpPort: number;
  const base = () => `http://127.0.0.1:${httpPort}`;
  const get = async <T>(path: string): Promise<T> => (await (await fetch(`${base()}${path}`)).json()) as T;

  beforeAll(async () => {
    cluster = await startCluster({
      nodes: 3,
      name: `rebuild-failover-${process.pid}`,
      epmdPort: await freePort(),
      management: false,
    });
    dataDir = mkdtempSync(join(tmpdir(), 'rebuild-failover-'));
    httpPort = await freePort();
    // History before the event-handler (and its queue) existed: only the log holds it.
    const connection = await amqp.connect(cluster.nodes[0]?.url as string);
    try {
      const channel = await connection.createConfirmChannel();
      await declareTopology(channel, eventLogTopology());
      for (let i = 0; i < HISTORY; i++) {
        const greetedAt = `${DAY}T${String(i % 24).padStart(2, '0')}:00:00.000Z`;
        const event = GreetingGreetedIntegrationEvent.create({ name: `n${i % NAMES}`, message: 'Hi!', greetedAt });
        const message = integrationEventMessage(event);
        channel.publish(message.exchange, message.routingKey, Buffer.from(JSON.stringify(message.body)), {
          type: message.type,
          messageId: message.messageId,
          contentType: 'application/json',
          timestamp: Math.floor(Date.now() / 1000),
        });
        if (i % 1_000 === 999) await channel.waitForConfirms();
      }
      await channel.waitForConfirms();
    } finally {
      await connection.close();
    }
  });

  afterAll(async () => {
    await app?.stop();
    await cluster?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('should resume on another node and swap in exact tables', async () => {
    const leader = await waitFor(() => cluster.leaderOf(Topology.eventLog), {
      timeoutMs: 30_000,
      message: 'the event log has no leader',
    });
    const others = cluster.nodes.filter((n) => n !== leader);
    app = spawnApp('apps/event-handler/src/main.ts', {
      // The leader first: the event-handler's connections, the rebuild's reader among them, are on it.
      RABBITMQ_URL: [leader, ...others].map((n) => (n as Node).url).join(','),
      EVENT_HANDLER_DATA_DIR: dataDir,
      EVENT_HANDLER_HOST: '127.0.0.1',
      EVENT_HANDLER_HTTP_PORT: String(httpPort),
      EVENT_HANDLER_TCP_PORT: '0',
      LOG_LEVEL: 'warn',
    });
    await waitFor(
      async () => {
        const { projections } = await get<{ projections: ProjectionStatus[] }>('/projections');
        return projections.every((p) => p.state === 'live');
      },
      { timeoutMs: 120_000, message: 'the event-handler never got ready and caught up' },
    );

    const response = await fetch(`${base()}/projections/rebuild`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(response.status).toBe(202);
    const { id } = (await response.json()) as RebuildReport;
    const seen = await waitFor(
      async () => {
        const report = await get<RebuildReport>('/projections/rebuild');
        return report.state === 'running' && report.entriesRead > 0 ? report : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 10, message: 'the rebuild never started reading' },
    );
    await (leader as Node).kill();
    expect(seen.entriesRead).toBeLessThan(HISTORY / 2);

    const report = await waitFor(
      async () => {
        const last = await get<RebuildReport>('/projections/rebuild');
        return last.id === id && (last.state === 'done' || last.state === 'failed') ? last : undefined;
      },
      { timeoutMs: 300_000, message: 'the rebuild never finished' },
    );
    expect(report).toMatchObject({ state: 'done', entriesRead: HISTORY, lastOffset: HISTORY - 1 });
    const stats = await get<Stats>('/stats');
    expect({ total: stats.greetings.total, names: stats.greetings.names }).toEqual({ total: HISTORY, names: NAMES });
    const byHour = await get<GreetingsByHour>(`/greetings/by-hour?from=${DAY}T00:00:00Z&to=${DAY}T23:59:59Z`);
    expect(byHour.hours.map((h) => h.count)).toEqual(Array.from({ length: 24 }, () => HISTORY / 24));
    expect(stats.outbox).toEqual({ pending: 0, sent: 0 });
  });
});

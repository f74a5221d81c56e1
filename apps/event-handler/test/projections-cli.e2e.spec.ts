import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as amqp from 'amqplib';
import { GreetingGreetedIntegrationEvent, integrationEventMessage } from '@hello/contracts';
import { declareTopology, eventLogTopology } from '@hello/messaging';
import { createTestVhost, freePort, spawnApp, type SpawnedApp, type TestVhost, waitFor } from '@hello/testing';
import { REBUILD_DATABASE_FILE } from '../src/database/event-handler-database';
import type { ProjectionStatus } from '../src/log-projections/log-projection-runner';
import type { Stats } from '../src/projections/projection-store';
import type { RebuildReport } from '../src/rebuild/rebuild-report';

// `npm run projections` as an operator runs it, against an event-handler that is a real process; and a
// rebuild killed with the process (SIGKILL), which leaves the live tables as they were and can be run again.

jest.setTimeout(240_000);

const ROOT = resolve(__dirname, '..', '..', '..');
const HISTORY = 30_000;
const NAMES = 500;

function runProjections(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn('npm', ['run', '-s', 'projections', '--', ...args], {
    cwd: ROOT,
    env: { ...process.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((done) => child.once('exit', (code) => done({ code, stdout, stderr })));
}

describe('npm run projections, and a rebuild killed with its process', () => {
  let vhost: TestVhost;
  let dataDir: string;
  let httpPort: number;
  let app: SpawnedApp | undefined;
  const base = () => `http://127.0.0.1:${httpPort}`;

  async function get<T>(path: string): Promise<{ status: number; body: T }> {
    const response = await fetch(`${base()}${path}`);
    return { status: response.status, body: (await response.json()) as T };
  }

  async function startEventHandler(): Promise<void> {
    app = spawnApp('apps/event-handler/src/main.ts', {
      RABBITMQ_URL: vhost.url,
      EVENT_HANDLER_DATA_DIR: dataDir,
      EVENT_HANDLER_HOST: '127.0.0.1',
      EVENT_HANDLER_HTTP_PORT: String(httpPort),
      EVENT_HANDLER_TCP_PORT: '0',
      LOG_LEVEL: 'warn',
    });
    await waitFor(async () => (await fetch(`${base()}/health/ready`).catch(() => undefined))?.status === 200, {
      timeoutMs: 60_000,
      message: 'the event-handler never got ready',
    });
    await waitFor(
      async () =>
        (await get<{ projections: ProjectionStatus[] }>('/projections')).body.projections.every(
          (p) => p.state !== 'backfilling',
        ),
      { timeoutMs: 60_000, message: 'the by-hour projection never caught up' },
    );
  }

  beforeAll(async () => {
    vhost = await createTestVhost('projections-cli');
    dataDir = mkdtempSync(join(tmpdir(), 'projections-cli-'));
    httpPort = await freePort();
    // History from before this event-handler (and its queue) existed: only the log holds it.
    const connection = await amqp.connect(vhost.url);
    try {
      const channel = await connection.createConfirmChannel();
      await declareTopology(channel, eventLogTopology());
      for (let i = 0; i < HISTORY; i++) {
        const event = GreetingGreetedIntegrationEvent.create({ name: `n${i % NAMES}`, message: 'Hello!' });
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
    await startEventHandler();
  });

  afterAll(async () => {
    await app?.stop();
    await vhost?.delete().catch(() => undefined);
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('should list the projections as JSON lines', async () => {
    const { code, stdout } = await runProjections(['list', '--url', base()]);
    expect(code).toBe(0);
    const lines = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as ProjectionStatus);
    expect(lines.map((p) => [p.name, p.source, p.state])).toEqual([
      ['greetings', 'queue', 'live'],
      ['messages', 'queue', 'live'],
      ['lines', 'queue', 'live'],
      ['greetings_by_hour', 'log', 'live'],
    ]);
  });

  it('should refuse an unknown projection with exit code 2, naming it', async () => {
    const { code, stderr } = await runProjections(['rebuild', '--projection', 'nope', '--url', base()]);
    expect(code).toBe(2);
    expect(stderr).toContain('no projection named "nope"');
  });

  it('should leave the live tables untouched when the rebuild is killed with the process, and rebuild when run again', async () => {
    // The queue-fed greetings never saw the history (their queue is new): a rebuild fills them.
    expect((await get<Stats>('/stats')).body.greetings.total).toBe(0);
    const response = await fetch(`${base()}/projections/rebuild`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ projections: ['greetings'] }),
    });
    expect(response.status).toBe(202);
    // Killed while it reads: some of the log read, far from all of it.
    const seen = await waitFor(
      async () => {
        const { body } = await get<RebuildReport>('/projections/rebuild');
        return body.state === 'running' && body.entriesRead > 0 ? body : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 10, message: 'the rebuild never started reading' },
    );
    app?.kill('SIGKILL');
    await app?.exited;
    expect(seen.entriesRead).toBeLessThan(HISTORY / 2);
    // Its fresh tables are left behind, and nothing else.
    expect(existsSync(join(dataDir, REBUILD_DATABASE_FILE))).toBe(true);

    await startEventHandler();
    expect((await get<Stats>('/stats')).body.greetings.total).toBe(0);

    const { code, stdout, stderr } = await runProjections(['rebuild', '--projection', 'greetings', '--url', base()]);
    expect({ code, stderr }).toMatchObject({ code: 0, stderr: expect.stringContaining('started') });
    const report = JSON.parse(stdout) as RebuildReport;
    expect(report).toMatchObject({ state: 'done', projections: ['greetings'], eventsApplied: HISTORY });
    const stats = (await get<Stats>('/stats')).body;
    expect({ total: stats.greetings.total, names: stats.greetings.names }).toEqual({ total: HISTORY, names: NAMES });
    // No welcome for the 500 names: a rebuild never reaches the live outbox.
    expect(stats.outbox).toEqual({ pending: 0, sent: 0 });
    expect(existsSync(join(dataDir, REBUILD_DATABASE_FILE))).toBe(false);
  });
});

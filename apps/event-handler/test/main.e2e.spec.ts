import { createTestVhost, freePort, spawnApp, type SpawnedApp, type TestVhost, waitFor } from '@hello/testing';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// The real entry point in its own process: start, serve, SIGTERM, exit 0; or say why it cannot start.

describe('event-handler main.ts', () => {
  let vhost: TestVhost;
  let dataDir: string;
  let app: SpawnedApp | undefined;

  beforeAll(async () => {
    vhost = await createTestVhost('event-handler-main');
    dataDir = mkdtempSync(join(tmpdir(), 'event-handler-main-'));
  });

  afterAll(async () => {
    await app?.stop();
    await vhost?.delete().catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('should stop consuming, close TCP and the database, and exit 0 on SIGTERM', async () => {
    const [httpPort, tcpPort] = [await freePort(), await freePort()];
    app = spawnApp('apps/event-handler/src/main.ts', {
      RABBITMQ_URL: vhost.url,
      EVENT_HANDLER_HOST: '127.0.0.1',
      EVENT_HANDLER_HTTP_PORT: String(httpPort),
      EVENT_HANDLER_TCP_PORT: String(tcpPort),
      EVENT_HANDLER_DATA_DIR: dataDir,
    });
    await app.waitForOutput(/HTTP on 127\.0\.0\.1:\d+, line echo on/, 30_000);
    const health = await fetch(`http://127.0.0.1:${httpPort}/health/ready`);
    expect(health.status).toBe(200);

    // A client still connected at shutdown gets its connection closed, not reset.
    const socket = connect({ host: '127.0.0.1', port: tcpPort });
    let echoed = '';
    socket.on('data', (chunk: Buffer) => (echoed += chunk.toString()));
    const ended = new Promise<void>((resolve) => socket.once('end', () => resolve()));
    socket.write('before shutdown\n');
    await waitFor(() => echoed === 'before shutdown\n', { message: 'the echo' });

    app.kill('SIGTERM');
    expect(await app.exited).toEqual({ code: 0, signal: null });
    await ended;
    socket.destroy();
    expect(app.output()).toMatch(/consumer cancelled/);
    expect(app.output()).toMatch(/"context":"Lifecycle","msg":"closed"/);
  }, 60_000);

  it('should log why it cannot start and exit 1 when building the app fails (its database cannot be opened)', async () => {
    // A file where the data folder should be: opening the database fails while the app is built.
    const notADirectory = join(dataDir, 'not-a-directory');
    writeFileSync(notADirectory, '');
    const failing = spawnApp('apps/event-handler/src/main.ts', {
      RABBITMQ_URL: vhost.url,
      EVENT_HANDLER_HOST: '127.0.0.1',
      EVENT_HANDLER_HTTP_PORT: String(await freePort()),
      EVENT_HANDLER_TCP_PORT: String(await freePort()),
      EVENT_HANDLER_DATA_DIR: notADirectory,
    });
    expect(await failing.exited).toEqual({ code: 1, signal: null });
    // Logged before the JSON logger is in place, so in Nest's own format.
    expect(failing.output()).toMatch(/\[Bootstrap\] could not start: EEXIST[^\n]*not-a-directory/);
  }, 60_000);
});

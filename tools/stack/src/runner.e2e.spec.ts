import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort, waitFor } from '@hello/testing';
import { canConnect } from '@hello/infra/host';
import * as broker from '@hello/infra/rabbitmq';

// The stack runner (tools/stack/start.cjs) with a local broker of its own, its stdout closed after
// the first line as `npm start | head -1` does: it keeps running the stack, and on SIGTERM stops the
// apps and the broker it started.

jest.setTimeout(420_000);

const ROOT = resolve(__dirname, '..', '..', '..');
const { checkHttp, checkGrpc } = require('../healthcheck.cjs') as {
  checkHttp(url: string): Promise<string | null>;
  checkGrpc(address: string, service?: string): Promise<string | null>;
};

describe('the stack runner with its stdout closed (npm start | head -1)', () => {
  const node = `runner-${process.pid}`;
  const nodeDir = join(ROOT, '.local', 'rabbitmq', node);
  let runner: ChildProcess;
  let stderr = '';
  let dataDir: string;
  const ports: Record<string, number> = {};

  afterAll(async () => {
    if (runner && runner.exitCode === null) runner.kill('SIGKILL');
    await broker.reclaimLeftover(nodeDir, `RABBITMQ_MNESIA_BASE=${join(nodeDir, 'mnesia')}`);
    rmSync(nodeDir, { recursive: true, force: true });
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('should keep the stack running, then stop every app and its broker on SIGTERM', async () => {
    // Every port from here, the broker's distribution port too: the runner (another process, blind to
    // the ports handed out here) could otherwise pick one that an app binds only later.
    for (const name of ['amqp', 'management', 'dist', 'grpc', 'producer', 'consumer', 'eventHandler', 'tcp'])
      ports[name] = await freePort();
    dataDir = mkdtempSync(join(tmpdir(), 'hello-runner-'));
    const env: Record<string, string | undefined> = {
      ...process.env,
      HELLO_RABBITMQ_NODE: node,
      HELLO_RABBITMQ_PORT: String(ports['amqp']),
      HELLO_RABBITMQ_MANAGEMENT_PORT: String(ports['management']),
      HELLO_RABBITMQ_DIST_PORT: String(ports['dist']),
      GREETER_GRPC_URL: `127.0.0.1:${ports['grpc']}`,
      GREETER_HTTP_PORT: '0',
      PRODUCER_HTTP_PORT: String(ports['producer']),
      CONSUMER_HTTP_PORT: String(ports['consumer']),
      EVENT_HANDLER_HTTP_PORT: String(ports['eventHandler']),
      EVENT_HANDLER_TCP_PORT: String(ports['tcp']),
      EVENT_HANDLER_DATA_DIR: dataDir,
      NO_COLOR: '1',
    };
    delete env['RABBITMQ_URL'];
    runner = spawn(process.execPath, [join(ROOT, 'tools', 'stack', 'start.cjs')], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    runner.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<{ code: number | null; signal: string | null }>((done) =>
      runner.once('exit', (code, signal) => done({ code, signal })),
    );
    // Read one line, then go away like `head -1`.
    await new Promise<void>((done) => {
      let first = '';
      runner.stdout?.on('data', (d: Buffer) => {
        first += d.toString();
        if (first.includes('\n')) {
          runner.stdout?.destroy();
          done();
        }
      });
    });

    const failedEarly = exited.then((how) => {
      throw new Error(`the runner exited (${JSON.stringify(how)}) with its stdout closed:\n${stderr}`);
    });
    const healthy = waitFor(
      async () => {
        const checks = await Promise.all([
          checkGrpc(`127.0.0.1:${ports['grpc']}`),
          checkHttp(`http://127.0.0.1:${ports['producer']}/health/ready`),
          checkHttp(`http://127.0.0.1:${ports['consumer']}/health/ready`),
          checkHttp(`http://127.0.0.1:${ports['eventHandler']}/health/ready`),
        ]);
        return checks.every((c) => c === null);
      },
      { timeoutMs: 300_000, intervalMs: 1000, message: 'the stack did not become healthy' },
    );
    await Promise.race([healthy, failedEarly]);
    failedEarly.catch(() => undefined);
    // It answers with its output going nowhere.
    const res = await fetch(`http://127.0.0.1:${ports['producer']}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'nobody reads the logs' }),
    });
    expect(res.status).toBe(202);

    const brokerGroup = Number(readFileSync(join(nodeDir, 'launcher.pid'), 'utf8'));
    const beam = Number(readFileSync(join(nodeDir, 'rabbitmq.pid'), 'utf8'));
    expect(broker.isAlive(beam)).toBe(true);
    runner.kill('SIGTERM');
    expect(await exited).toEqual({ code: 0, signal: null });
    expect(broker.isAlive(beam)).toBe(false);
    expect(broker.isAlive(brokerGroup)).toBe(false);
    expect(await canConnect(ports['amqp'])).toBe(false);
    expect(await canConnect(ports['producer'])).toBe(false);
  });
});

import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { status } from '@grpc/grpc-js';
import type { HelloReply } from '@hello/contracts';
import {
  freePort,
  greeterClient,
  healthClient,
  nextMessage,
  outcomeOf,
  sayHello,
  unary,
  waitFor,
  type DynamicClient,
} from './greeter-harness';

const workspaceRoot = resolve(__dirname, '../../../..');
const mainTs = join(workspaceRoot, 'apps/greeter/src/main.ts');

interface Run {
  readonly child: ChildProcess;
  readonly output: () => string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Runs apps/greeter/src/main.ts in a process of its own, compiled on the fly by @swc-node/register
 * (a build would take longer than the whole suite). The tsconfig only adds a baseUrl so the
 * register hook resolves the @hello/* aliases from the workspace root.
 */
describe('the greeter process (main.ts)', () => {
  let tsconfigDir: string;
  let child: ChildProcess | undefined;
  const clients: DynamicClient[] = [];

  function run(env: Record<string, string>): Run {
    let output = '';
    child = spawn(process.execPath, ['-r', '@swc-node/register', mainTs], {
      cwd: workspaceRoot,
      env: { ...process.env, SWC_NODE_PROJECT: join(tsconfigDir, 'tsconfig.json'), NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (chunk) => (output += chunk));
    child.stderr?.on('data', (chunk) => (output += chunk));
    const exited = once(child, 'exit').then(([code, signal]) => ({ code, signal }));
    return { child, output: () => output, exited };
  }

  beforeAll(() => {
    tsconfigDir = mkdtempSync(join(tmpdir(), 'greeter-main-'));
    writeFileSync(
      join(tsconfigDir, 'tsconfig.json'),
      JSON.stringify({
        extends: join(workspaceRoot, 'apps/greeter/tsconfig.app.json'),
        compilerOptions: { baseUrl: workspaceRoot },
      }),
    );
  });

  afterEach(() => {
    clients.splice(0).forEach((client) => client.close());
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    child = undefined;
  });

  afterAll(() => rmSync(tsconfigDir, { recursive: true, force: true }));

  it.each(['SIGTERM', 'SIGINT'] as const)(
    'should serve, then on %s drain the call in flight and exit 0',
    async (signal) => {
      const url = `127.0.0.1:${await freePort()}`;
      const greeter = run({ GREETER_GRPC_URL: url, GREETER_SHUTDOWN_GRACE_MS: '5000' });
      await waitFor(() => greeter.output().includes(`gRPC server listening on ${url}`), 20_000, 'the greeter to listen');

      const client = greeterClient(url);
      const health = healthClient(url);
      clients.push(client, health);
      await expect(sayHello(client, { name: 'process' })).resolves.toEqual({ message: 'Hello, process!' });
      await expect(unary(health, 'Check', { service: '' })).resolves.toEqual({ status: 'SERVING' });

      const watch = health.Watch({ service: 'helloworld.Greeter' });
      const watchOutcome = outcomeOf(watch);
      await nextMessage(watch);
      const stream = client.SayHelloStreamReply({ name: 'inflight' });
      const streamOutcome = outcomeOf<HelloReply>(stream);
      await nextMessage(stream);

      greeter.child.kill(signal);

      expect((await watchOutcome).messages).toEqual([{ status: 'SERVING' }, { status: 'NOT_SERVING' }]);
      const { messages, status: final } = await streamOutcome;
      expect(final.code).toBe(status.OK);
      expect(messages).toHaveLength(5);
      await expect(greeter.exited).resolves.toEqual({ code: 0, signal: null });
      expect(greeter.output()).toContain(`${signal} received: draining calls in flight`);
    },
    30_000,
  );

  it.each([
    ['GREETER_GRPC_URL', 'nonsense'],
    ['GREETER_SHUTDOWN_GRACE_MS', '-1'],
  ])('should refuse to start with %s=%s, naming the variable, and exit 1', async (variable, value) => {
    const greeter = run({ [variable]: value });
    await expect(greeter.exited).resolves.toEqual({ code: 1, signal: null });
    expect(greeter.output()).toContain(`invalid configuration: ${variable}: must be`);
    expect(greeter.output()).not.toContain('listening');
  }, 30_000);
});

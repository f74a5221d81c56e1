import { ChildProcess, spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as amqp from 'amqplib';
import { freePort, waitFor } from '@hello/testing';
import { canConnect } from '@hello/infra/host';
import * as tool from '@hello/infra/rabbitmq';

// The local broker launcher (tools/infra/rabbitmq/main.cjs, `npm run rabbitmq`), run as a user runs it.

const ROOT = resolve(__dirname, '..', '..', '..');
jest.setTimeout(180_000);

interface Launcher {
  child: ChildProcess;
  output(): string;
  stdout(): string;
  exited: Promise<number | null>;
}

const SCRIPT = 'node tools/infra/rabbitmq/main.cjs start';

function launch(env: Record<string, string>): Launcher {
  // What `npm run rabbitmq` runs, started directly so that signals reach the launcher itself.
  const [command, ...args] = SCRIPT.split(' ');
  const child = spawn(command === 'node' ? process.execPath : command, args, {
    cwd: ROOT,
    env: { ...process.env, RABBITMQ_URL: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  let stdout = '';
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString();
    output += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  return { child, output: () => output, stdout: () => stdout, exited };
}

async function urlOf(launcher: Launcher): Promise<string> {
  await waitFor(() => /^RABBITMQ_URL=\S+$/m.test(launcher.stdout()) || launcher.child.exitCode !== null, {
    timeoutMs: 90_000,
    intervalMs: 200,
    message: 'the launcher printed no RABBITMQ_URL',
  });
  const url = /^RABBITMQ_URL=(\S+)$/m.exec(launcher.stdout())?.[1];
  if (!url) throw new Error(`the launcher exited:\n${launcher.output()}`);
  return url;
}

/** Listening TCP sockets on `port` (IPv4 and IPv6), as local addresses in /proc/net notation. */
function listenersOn(port: number): string[] {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const found: string[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 4 || fields[3] !== '0A') continue;
      const [address, p] = fields[1].split(':');
      if (p === hexPort) found.push(address);
    }
  }
  return found;
}

const LOOPBACK_V4 = '0100007F';
const LOOPBACK_V6 = '00000000000000000000000001000000';

async function connectAndClose(url: string): Promise<void> {
  const connection = await amqp.connect(url);
  await connection.close();
}

describe('the local broker launcher (npm run rabbitmq)', () => {
  const name = `launcher-${process.pid}`;
  const dir = join(ROOT, '.local', 'rabbitmq', name);
  let ports: Record<string, number>;
  let first: Launcher | undefined;
  let second: Launcher | undefined;

  beforeAll(async () => {
    ports = {
      amqp: await freePort(),
      management: await freePort(),
      dist: await freePort(),
      epmd: await freePort(),
    };
  });

  const env = () => ({
    HELLO_RABBITMQ_NODE: name,
    HELLO_RABBITMQ_PORT: String(ports['amqp']),
    HELLO_RABBITMQ_MANAGEMENT_PORT: String(ports['management']),
    HELLO_RABBITMQ_DIST_PORT: String(ports['dist']),
    ERL_EPMD_PORT: String(ports['epmd']),
  });

  afterAll(async () => {
    for (const launcher of [first, second]) {
      if (launcher && launcher.child.exitCode === null) {
        launcher.child.kill('SIGTERM');
        await launcher.exited;
      }
    }
    // A node the spec left behind (on failure), the way the launcher finds one.
    await tool.reclaimLeftover(dir, `RABBITMQ_MNESIA_BASE=${join(dir, 'mnesia')}`);
    tool.epmdKillIfIdle(ports['epmd']);
    rmSync(dir, { recursive: true, force: true });
  });

  it('should print the RABBITMQ_URL to use, on the moved port, and listen on loopback only', async () => {
    const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    expect(manifest.scripts.rabbitmq).toBe(SCRIPT);
    first = launch(env());
    const url = await urlOf(first);
    expect(url).toBe(`amqp://guest:guest@127.0.0.1:${ports['amqp']}`);
    // stdout holds that one line; the rest goes to stderr.
    expect(first.stdout()).toBe(`RABBITMQ_URL=${url}\n`);
    await connectAndClose(url);

    // AMQP, management, Erlang distribution and the epmd the node started: 127.0.0.1 (or ::1) only.
    expect(tool.epmdNames(ports['epmd'])).toEqual({ [name]: ports['dist'] });
    for (const port of [ports['amqp'], ports['management'], ports['dist'], ports['epmd']]) {
      const listeners = listenersOn(port);
      expect({ port, listening: listeners.length > 0 }).toEqual({ port, listening: true });
      for (const address of listeners)
        expect({ port, address }).toEqual({
          port,
          address: expect.stringMatching(new RegExp(`^(${LOOPBACK_V4}|${LOOPBACK_V6})$`)),
        });
    }
    expect(first.output()).toContain(`epmd on 127.0.0.1:${ports['epmd']} (ERL_EPMD_PORT)`);
  });

  it('should stop a node its killed predecessor left running (by its pid file) before starting again', async () => {
    const launcher = first as Launcher;
    const beam = Number(readFileSync(join(dir, 'rabbitmq.pid'), 'utf8'));
    expect(tool.isAlive(beam)).toBe(true);
    // The launcher dies without a chance to stop its node; the node, in a process group of its own,
    // keeps running.
    process.kill(launcher.child.pid as number, 'SIGKILL');
    await launcher.exited;
    await new Promise((r) => setTimeout(r, 500));
    expect(tool.isAlive(beam)).toBe(true);
    expect(await canConnect(ports['amqp'])).toBe(true);

    second = launch(env());
    const url = await urlOf(second);
    expect(second.output()).toContain(`stopping the node left running in ${dir}`);
    expect(tool.isAlive(beam)).toBe(false);
    await connectAndClose(url);
  });

  it('should stop its node on SIGTERM, even with its stdout closed', async () => {
    const launcher = second as Launcher;
    const beam = Number(readFileSync(join(dir, 'rabbitmq.pid'), 'utf8'));
    // As `npm run rabbitmq | head -1` does once it has its line.
    launcher.child.stdout?.destroy();
    await new Promise((r) => setTimeout(r, 200));
    process.kill(launcher.child.pid as number, 'SIGTERM');
    expect(await launcher.exited).toBe(0);
    expect(tool.isAlive(beam)).toBe(false);
    expect(await canConnect(ports['amqp'])).toBe(false);
    // Deregistered from the epmd on ERL_EPMD_PORT (which the killed first node had started, so it
    // stays for others: only a launcher that started epmd stops it).
    expect(tool.epmdNames(ports['epmd'])).toEqual({});
  });

  it('should leave alone a process that a pid file names but that is not a node of its data directory', async () => {
    const { writeFileSync, mkdirSync } = await import('node:fs');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'launcher.pid'), `${process.pid}\n`);
    writeFileSync(join(dir, 'rabbitmq.pid'), `${process.pid}\n`);
    const third = launch(env());
    try {
      await connectAndClose(await urlOf(third));
      expect(tool.isAlive(process.pid)).toBe(true);
      expect(third.output()).not.toContain('left running');
    } finally {
      if (third.child.exitCode === null) third.child.kill('SIGTERM');
      expect(await third.exited).toBe(0);
    }
  });

  it('should start a local cluster with HELLO_RABBITMQ_NODES and print every node in RABBITMQ_URL', async () => {
    const prefix = `launcher-cluster-${process.pid}`;
    const base = await freePort();
    const clusterPorts = { amqp: [base, base + 1], epmd: await freePort() };
    const launcher = launch({
      HELLO_RABBITMQ_NODES: '2',
      HELLO_RABBITMQ_NODE: prefix,
      HELLO_RABBITMQ_PORT: String(base),
      HELLO_RABBITMQ_MANAGEMENT_PORT: String(await freePort()),
      // Every port from here: left to pick its distribution ports itself, the launcher (another
      // process, blind to the ports handed out here) once took the epmd port above before epmd bound it.
      HELLO_RABBITMQ_DIST_PORT: String(await freePort()),
      ERL_EPMD_PORT: String(clusterPorts.epmd),
    });
    try {
      const url = await urlOf(launcher);
      expect(url).toBe(clusterPorts.amqp.map((p) => `amqp://guest:guest@127.0.0.1:${p}`).join(','));
      for (const node of url.split(',')) await connectAndClose(node);
      // One cluster: both nodes registered with the one epmd, node 2 joined node 1.
      expect(Object.keys(tool.epmdNames(clusterPorts.epmd)).sort()).toEqual([`${prefix}-1`, `${prefix}-2`]);
      expect(launcher.output()).not.toMatch(/failed/);
    } finally {
      if (launcher.child.exitCode === null) launcher.child.kill('SIGTERM');
      const code = await launcher.exited;
      expect({ code, output: code === 0 ? '' : launcher.output() }).toEqual({ code: 0, output: '' });
      for (const port of clusterPorts.amqp) expect(await canConnect(port)).toBe(false);
      tool.epmdKillIfIdle(clusterPorts.epmd);
      for (const i of [1, 2])
        rmSync(join(ROOT, '.local', 'rabbitmq', `${prefix}-${i}`), { recursive: true, force: true });
    }
  });
});

#!/usr/bin/env node
/**
 * A local RabbitMQ node for development, tests and benchmarks, run from the OS package
 * (Debian's `rabbitmq-server`) as an unprivileged foreground process on loopback, with its
 * data and logs under `.local/rabbitmq/<name>` in the project.
 *
 *   node tools/rabbitmq/broker.cjs start            start, print the URL, stop on Ctrl-C/SIGTERM
 *   node tools/rabbitmq/broker.cjs run -- CMD ARGS  run CMD with RABBITMQ_URL set (starting a node
 *                                                   only when RABBITMQ_URL is not already set)
 *   node tools/rabbitmq/broker.cjs install          install the OS package when it is missing
 *
 * Environment: RABBITMQ_URL (use that broker, start nothing), HELLO_RABBITMQ_PORT (5672),
 * HELLO_RABBITMQ_MANAGEMENT_PORT (15672), HELLO_RABBITMQ_NODE (hello).
 */
'use strict';

const { spawn, spawnSync, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');
const SERVER = '/usr/lib/rabbitmq/bin/rabbitmq-server';
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 30_000;

function log(message) {
  process.stderr.write(`[rabbitmq] ${message}\n`);
}

function isInstalled() {
  return fs.existsSync(SERVER);
}

/** Installs Debian's rabbitmq-server when it is missing and this process may do so. */
function ensureInstalled() {
  if (isInstalled()) return;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const hasApt = spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0;
  if (!isRoot || !hasApt) {
    throw new Error(
      `RabbitMQ is not installed (${SERVER} is missing) and cannot be installed from here: ` +
        'install the OS package rabbitmq-server (e.g. `sudo apt-get install -y rabbitmq-server`) ' +
        'or set RABBITMQ_URL to a running broker.',
    );
  }
  log('installing the OS package rabbitmq-server (apt-get)…');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update'], { stdio: ['ignore', 'ignore', 'inherit'], env });
  execFileSync('apt-get', ['install', '-y', '--no-install-recommends', 'rabbitmq-server'], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env,
  });
  // The package's service scripts may have started a system node; ours runs on its own.
  if (!isInstalled()) throw new Error(`apt-get finished but ${SERVER} is still missing`);
}

function canConnect(port, host = '127.0.0.1') {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Asks the OS for a free loopback port. */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function waitForAmqp(port, child, logFile) {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`RabbitMQ exited during start-up (${child.exitCode ?? child.signalCode}); see ${logFile}`);
    }
    // The AMQP listener opens only once the node has booted and is ready for clients.
    if (await canConnect(port)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`RabbitMQ did not accept connections on port ${port} within ${START_TIMEOUT_MS} ms; see ${logFile}`);
}

function epmdKillIfIdle() {
  const erts = fs.readdirSync('/usr/lib/erlang').find((d) => d.startsWith('erts-'));
  const epmd = erts ? path.join('/usr/lib/erlang', erts, 'bin', 'epmd') : 'epmd';
  const names = spawnSync(epmd, ['-names'], { encoding: 'utf8' });
  if (names.status !== 0) return;
  if (!/^name /m.test(names.stdout)) spawnSync(epmd, ['-kill'], { stdio: 'ignore' });
}

/**
 * Starts a RabbitMQ node in the foreground of a child process.
 * @param {{name?: string, port?: number, managementPort?: number, dataDir?: string}} [options]
 *   port 0 (or unset with name given) picks a free port.
 */
async function startBroker(options = {}) {
  ensureInstalled();
  const name = options.name ?? 'hello';
  const port = options.port || (await freePort());
  const managementPort = options.managementPort || (await freePort());
  const distPort = await freePort();
  const dir = options.dataDir ?? path.join(ROOT, '.local', 'rabbitmq', name);
  fs.mkdirSync(dir, { recursive: true });

  if (await canConnect(port)) {
    throw new Error(`port ${port} is already in use: stop what listens there or choose another port`);
  }
  fs.writeFileSync(path.join(dir, 'enabled_plugins'), '[rabbitmq_management].\n');
  fs.writeFileSync(
    path.join(dir, 'rabbitmq.conf'),
    [
      `listeners.tcp.1 = 127.0.0.1:${port}`,
      `management.tcp.port = ${managementPort}`,
      'management.tcp.ip = 127.0.0.1',
      // Quorum queues need a little disk headroom; keep the alarm from blocking publishers on
      // small development disks.
      'disk_free_limit.absolute = 50MB',
      '',
    ].join('\n'),
  );
  const cookie = path.join(dir, '.erlang.cookie');
  if (!fs.existsSync(cookie)) {
    fs.writeFileSync(cookie, `HELLOMESH${Math.random().toString(36).slice(2).toUpperCase()}`, { mode: 0o400 });
  }

  const env = {
    ...process.env,
    HOME: dir,
    RABBITMQ_NODENAME: `${name}@localhost`,
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_NODE_PORT: String(port),
    RABBITMQ_DIST_PORT: String(distPort),
    RABBITMQ_MNESIA_BASE: path.join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: path.join(dir, 'log'),
    RABBITMQ_PID_FILE: path.join(dir, 'rabbitmq.pid'),
    RABBITMQ_CONFIG_FILE: path.join(dir, 'rabbitmq'),
    RABBITMQ_ADVANCED_CONFIG_FILE: path.join(dir, 'advanced.config'),
    RABBITMQ_ENABLED_PLUGINS_FILE: path.join(dir, 'enabled_plugins'),
    RABBITMQ_CONF_ENV_FILE: path.join(dir, 'rabbitmq-env.conf'),
  };
  delete env.RABBITMQ_URL;

  const logFile = path.join(dir, 'console.log');
  let child;
  const boot = async () => {
    const out = fs.openSync(logFile, 'a');
    // Its own process group, so stopping reaches the shell wrapper, beam and its helpers.
    child = spawn(SERVER, [], { env, cwd: dir, stdio: ['ignore', out, out], detached: true });
    fs.closeSync(out);
    await waitForAmqp(port, child, logFile);
  };
  const halt = async () => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    // The node shuts down cleanly on SIGTERM (queues closed, data flushed).
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      /* already gone */
    }
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }, STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
    // Helpers such as inet_gethost share the group; make sure none is left behind.
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      /* none left */
    }
  };

  await boot();
  const credentials = 'guest:guest';
  return {
    name,
    port,
    managementPort,
    url: `amqp://${credentials}@127.0.0.1:${port}`,
    managementUrl: `http://${credentials}@127.0.0.1:${managementPort}`,
    logFile,
    get pid() {
      return child.pid;
    },
    /** Stops the node gracefully (SIGTERM) and waits for it to exit. */
    async stop() {
      await halt();
      epmdKillIfIdle();
    },
    /** Stops and starts the node again on the same port with the same data. */
    async restart() {
      await halt();
      await boot();
    },
  };
}

async function main(argv) {
  const [command, ...rest] = argv;
  if (command === 'install') {
    ensureInstalled();
    log(`installed: ${SERVER}`);
    return 0;
  }
  if (command === 'start') {
    const broker = await startBroker({
      name: process.env.HELLO_RABBITMQ_NODE || 'hello',
      port: Number(process.env.HELLO_RABBITMQ_PORT || 5672),
      managementPort: Number(process.env.HELLO_RABBITMQ_MANAGEMENT_PORT || 15672),
    });
    log(`ready: ${broker.url} (management ${broker.managementUrl}); logs in ${broker.logFile}`);
    await new Promise((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    log('stopping…');
    await broker.stop();
    log('stopped');
    return 0;
  }
  if (command === 'run') {
    const cmd = rest[0] === '--' ? rest.slice(1) : rest;
    if (cmd.length === 0) throw new Error('usage: broker.cjs run -- COMMAND [ARGS…]');
    let broker;
    const env = { ...process.env };
    if (!env.RABBITMQ_URL) {
      broker = await startBroker({
        name: process.env.HELLO_RABBITMQ_NODE || `run-${process.pid}`,
        port: Number(process.env.HELLO_RABBITMQ_PORT || 0),
        managementPort: Number(process.env.HELLO_RABBITMQ_MANAGEMENT_PORT || 0),
      });
      env.RABBITMQ_URL = broker.url;
      env.RABBITMQ_MANAGEMENT_URL = broker.managementUrl;
      log(`ready: ${broker.url}`);
    }
    const child = spawn(cmd[0], cmd.slice(1), { stdio: 'inherit', env });
    const forward = (signal) => child.kill(signal);
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    const code = await new Promise((resolve) =>
      child.once('exit', (c, signal) => resolve(c ?? (signal ? 128 : 1))),
    );
    if (broker) {
      await broker.stop();
      fs.rmSync(path.join(ROOT, '.local', 'rabbitmq', broker.name), { recursive: true, force: true });
    }
    return code;
  }
  process.stderr.write('usage: broker.cjs start | run -- COMMAND [ARGS…] | install\n');
  return 2;
}

module.exports = { startBroker, ensureInstalled, freePort };

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error) => {
      log(error.message);
      process.exit(1);
    },
  );
}

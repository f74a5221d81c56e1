/**
 * A local RabbitMQ node for development, tests and benchmarks, run from the OS package
 * (Debian's `rabbitmq-server`) as an unprivileged foreground process on loopback, with its
 * data and logs under `.local/rabbitmq/<name>` in the project. The command line is main.cjs;
 * a cluster of such nodes is cluster.cjs.
 *
 * Everything listens on 127.0.0.1 only: AMQP, management, Erlang distribution and the epmd the node
 * starts (ERL_EPMD_PORT, Erlang's own variable, says where it finds or starts epmd).
 *
 * A node left running by a launcher that was killed (its data directory's pid files name it) is
 * stopped before a node of the same name starts again (node-processes.cjs).
 */
'use strict';

const { spawn, execFile } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { canConnect, freePort, installDebianPackage } = require('../host.cjs');
const { epmdKillIfIdle, epmdNames, isAlive, log, reclaimLeftover } = require('./node-processes.cjs');

const ROOT = path.resolve(__dirname, '..', '..', '..');
const SERVER = '/usr/lib/rabbitmq/bin/rabbitmq-server';
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 30_000;

/** The launcher's ports from HELLO_RABBITMQ_PORT, HELLO_RABBITMQ_MANAGEMENT_PORT and HELLO_RABBITMQ_DIST_PORT. */
function portsFromEnv(defaults = { port: 5672, managementPort: 15672 }) {
  return {
    port: Number(process.env['HELLO_RABBITMQ_PORT'] || defaults.port),
    managementPort: Number(process.env['HELLO_RABBITMQ_MANAGEMENT_PORT'] || defaults.managementPort),
    distPort: Number(process.env['HELLO_RABBITMQ_DIST_PORT'] || 0),
  };
}

function isInstalled() {
  return fs.existsSync(SERVER);
}

/** Installs Debian's rabbitmq-server when it is missing and this process may do so. */
function ensureInstalled() {
  if (isInstalled()) return;
  installDebianPackage('rabbitmq-server', {
    log,
    cannotInstall:
      `RabbitMQ is not installed (${SERVER} is missing) and cannot be installed from here: ` +
      'install the OS package rabbitmq-server (e.g. `sudo apt-get install -y rabbitmq-server`) ' +
      'or set RABBITMQ_URL to a running broker.',
  });
  // The package's service scripts may have started a system node; ours runs on its own.
  if (!isInstalled()) throw new Error(`apt-get finished but ${SERVER} is still missing`);
}

/**
 * @param {number} port
 * @param {import('node:child_process').ChildProcess} child
 * @param {string} logFile
 */
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

/** Erlang distribution (node-to-node and CLI) on loopback only. */
const LOOPBACK_DIST = '-kernel inet_dist_use_interface {127,0,0,1}';

/**
 * The environment rabbitmqctl and friends need to reach a node started here.
 * @param {string} dir
 * @param {number} epmdPort
 * @returns {NodeJS.ProcessEnv}
 */
function cliEnv(dir, epmdPort) {
  return {
    ...process.env,
    HOME: dir,
    ERL_EPMD_PORT: String(epmdPort),
    ERL_EPMD_ADDRESS: '127.0.0.1',
    RABBITMQ_CTL_ERL_ARGS: LOOPBACK_DIST,
    RABBITMQ_CONF_ENV_FILE: path.join(dir, 'rabbitmq-env.conf'),
  };
}

/**
 * Starts a RabbitMQ node in the foreground of a child process.
 * @param {{name?: string, port?: number, managementPort?: number, distPort?: number,
 *   epmdPort?: number, cookie?: string, management?: boolean, dataDir?: string,
 *   tls?: {port?: number, caFile: string, certFile: string, keyFile: string, requireClientCert?: boolean}}} [options]
 *   A port of 0 (or unset) picks a free one; epmdPort defaults to ERL_EPMD_PORT or 4369; cookie
 *   (for the nodes of a cluster) defaults to one made for this node's data directory. With `tls`,
 *   the node also listens for amqps: on 127.0.0.1 (`tlsPort`, `tlsUrl` of the result), with the
 *   given PEM files, checking client certificates against the CA when `requireClientCert`.
 */
async function startBroker(options = {}) {
  ensureInstalled();
  const name = options.name ?? 'hello';
  const dir = options.dataDir ?? path.join(ROOT, '.local', 'rabbitmq', name);
  fs.mkdirSync(dir, { recursive: true });
  const marker = `RABBITMQ_MNESIA_BASE=${path.join(dir, 'mnesia')}`;
  await reclaimLeftover(dir, marker);
  const port = options.port || (await freePort());
  const managementPort = options.managementPort || (await freePort());
  const distPort = options.distPort || (await freePort());
  const epmdPort = options.epmdPort || Number(process.env['ERL_EPMD_PORT'] || 4369);
  const management = options.management ?? true;
  const tls = options.tls ? { ...options.tls, port: options.tls.port || (await freePort()) } : undefined;
  // An epmd this node starts is stopped with it (once idle); one that was running is left alone.
  const startsEpmd = !(await canConnect(epmdPort));

  if (await canConnect(port)) {
    throw new Error(`port ${port} is already in use: stop what listens there or choose another port`);
  }
  if (await canConnect(distPort)) {
    throw new Error(`distribution port ${distPort} is already in use: choose another (HELLO_RABBITMQ_DIST_PORT)`);
  }
  fs.writeFileSync(path.join(dir, 'enabled_plugins'), management ? '[rabbitmq_management].\n' : '[].\n');
  fs.writeFileSync(
    path.join(dir, 'rabbitmq.conf'),
    [
      `listeners.tcp.1 = 127.0.0.1:${port}`,
      ...(management ? [`management.tcp.port = ${managementPort}`, 'management.tcp.ip = 127.0.0.1'] : []),
      // Quorum queues need a little disk headroom; keep the alarm from blocking publishers on
      // small development disks.
      'disk_free_limit.absolute = 50MB',
      ...(tls
        ? [
            `listeners.ssl.1 = 127.0.0.1:${tls.port}`,
            `ssl_options.cacertfile = ${tls.caFile}`,
            `ssl_options.certfile = ${tls.certFile}`,
            `ssl_options.keyfile = ${tls.keyFile}`,
            ...(tls.requireClientCert
              ? ['ssl_options.verify = verify_peer', 'ssl_options.fail_if_no_peer_cert = true']
              : []),
          ]
        : []),
      '',
    ].join('\n'),
  );
  // HOME holds the cookie: /usr/lib/rabbitmq/bin/rabbitmq-server keeps the HOME it is given.
  const cookie = path.join(dir, '.erlang.cookie');
  if (options.cookie !== undefined) {
    if (fs.existsSync(cookie)) fs.chmodSync(cookie, 0o600);
    fs.writeFileSync(cookie, options.cookie, { mode: 0o400 });
    fs.chmodSync(cookie, 0o400);
  } else if (!fs.existsSync(cookie)) {
    fs.writeFileSync(cookie, `HELLOMESH${Math.random().toString(36).slice(2).toUpperCase()}`, { mode: 0o400 });
  }

  /** @type {NodeJS.ProcessEnv} */
  const env = {
    ...process.env,
    HOME: dir,
    ERL_EPMD_PORT: String(epmdPort),
    // Read by the epmd the node starts when none runs on ERL_EPMD_PORT yet.
    ERL_EPMD_ADDRESS: '127.0.0.1',
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: LOOPBACK_DIST,
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
  delete env['RABBITMQ_URL'];

  const logFile = path.join(dir, 'console.log');
  /** @type {import('node:child_process').ChildProcess} */
  let child;
  const boot = async () => {
    const out = fs.openSync(logFile, 'a');
    // Its own process group, so stopping reaches the shell wrapper, beam and its helpers.
    child = spawn(SERVER, [], { env, cwd: dir, stdio: ['ignore', out, out], detached: true });
    fs.closeSync(out);
    // Names the process group for a later launcher, should this one die without stopping the node.
    fs.writeFileSync(path.join(dir, 'launcher.pid'), `${child.pid}\n`);
    await waitForAmqp(port, child, logFile);
  };
  // The process group's id for process.kill: NaN (which throws, as if gone) when the spawn failed.
  const group = () => -Number(child.pid);
  const halt = async () => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    // The node shuts down cleanly on SIGTERM (queues closed, data flushed).
    try {
      process.kill(group(), 'SIGTERM');
    } catch {
      /* already gone */
    }
    const timer = setTimeout(() => {
      try {
        process.kill(group(), 'SIGKILL');
      } catch {
        /* already gone */
      }
    }, STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
    // Helpers such as inet_gethost share the group; make sure none is left behind.
    try {
      process.kill(group(), 'SIGKILL');
    } catch {
      /* none left */
    }
    fs.rmSync(path.join(dir, 'launcher.pid'), { force: true });
  };
  const kill = async () => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      process.kill(group(), 'SIGKILL');
    } catch {
      /* already gone */
    }
    await exited;
  };

  await boot();
  const credentials = 'guest:guest';
  const nodeName = `${name}@localhost`;
  return {
    name,
    nodeName,
    dir,
    port,
    managementPort: management ? managementPort : undefined,
    distPort,
    epmdPort,
    /** Whether this node started the epmd it registered with (then `stop` stops it once idle). */
    startedEpmd: startsEpmd,
    url: `amqp://${credentials}@127.0.0.1:${port}`,
    tlsPort: tls?.port,
    // The name the test certificates carry; amqps: clients check the broker's certificate against it.
    tlsUrl: tls ? `amqps://${credentials}@localhost:${tls.port}` : undefined,
    managementUrl: management ? `http://${credentials}@127.0.0.1:${managementPort}` : undefined,
    logFile,
    /** The process group leader (the server script); the group holds beam and its helpers. */
    get pid() {
      return child.pid;
    },
    get running() {
      return !!child && child.exitCode === null && child.signalCode === null;
    },
    /** Runs rabbitmqctl (or another CLI of the package, e.g. `rabbitmq-queues`) against this node. */
    /**
     * @param {string[]} args
     * @param {string} [tool]
     * @returns {Promise<string>}
     */
    ctl(args, tool = 'rabbitmqctl') {
      return new Promise((resolve, reject) => {
        execFile(
          path.join(path.dirname(SERVER), tool),
          ['-n', nodeName, ...args],
          { env: cliEnv(dir, epmdPort), encoding: 'utf8', timeout: START_TIMEOUT_MS },
          (error, stdout, stderr) => {
            if (error)
              reject(
                new Error(`${tool} ${args.join(' ')} on ${nodeName} failed: ${stderr || stdout || error.message}`),
              );
            else resolve(stdout);
          },
        );
      });
    },
    /** Waits until the AMQP listener accepts connections again (e.g. after `start_app`). */
    waitForAmqp: () => waitForAmqp(port, child, logFile),
    /** Stops the node gracefully (SIGTERM) and waits for it to exit. */
    async stop() {
      await halt();
      if (startsEpmd) epmdKillIfIdle(epmdPort);
    },
    /** Kills the node outright (SIGKILL to its process group), as a crash would. */
    kill,
    /** Starts the node again after `kill` or `stop`, on the same ports with the same data. */
    start: () => boot(),
    /** Stops and starts the node again on the same port with the same data. */
    async restart() {
      await halt();
      await boot();
    },
  };
}

/** @typedef {Awaited<ReturnType<typeof startBroker>>} Broker */

module.exports = {
  startBroker,
  log,
  reclaimLeftover,
  ensureInstalled,
  epmdNames,
  epmdKillIfIdle,
  portsFromEnv,
  isAlive,
};

// What the project's launchers (and, through libs/testing's freePort, the specs) need of this machine:
// free loopback ports for servers, whether something listens, and Debian's packages installed when they are missing
// (RabbitMQ, PostgreSQL, Prometheus' promtool).
'use strict';

const { execFileSync, spawn, spawnSync } = require('node:child_process');
const net = require('node:net');

// Ports for servers that tests and launchers start (brokers, apps, PostgreSQL) come from below the
// OS's ephemeral range: a port the OS hands out for bind(0) lies inside that range, and the outgoing
// connections of everything running meanwhile take their local ports from it too, so between the
// check and the server's own bind, one of them could take it. Below the range only servers listen.
// The space is split in slots, one per Jest worker, so that parallel specs do not pick the same port;
// each call skips PORT_STRIDE ports, leaving room for a launcher's consecutive ports (cluster nodes).
const PORT_STRIDE = 4;
const SLOTS = 4;
/** @type {Set<number>} */
const handedOut = new Set();
/** @type {number | undefined} */
let nextPort;

function portSpace() {
  let ephemeralLow = 32768;
  try {
    ephemeralLow = Number(
      require('node:fs').readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').split(/\s+/)[0],
    );
  } catch {
    // Not Linux: the IANA ephemeral range starts at 49152, 32768 is below it as well.
  }
  const low = Math.max(1024, ephemeralLow - 16384);
  const size = Math.floor((ephemeralLow - low) / SLOTS);
  const slot = Number(process.env['JEST_WORKER_ID'] || 0) % SLOTS;
  return { start: low + slot * size, size };
}

/**
 * @param {number} port
 * @returns {Promise<boolean>}
 */
function canBind(port) {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A loopback port that is free now and that no other caller in this process was given.
 * @returns {Promise<number>}
 */
async function freePort() {
  const { start, size } = portSpace();
  nextPort ??= start + Math.floor(Math.random() * (size / PORT_STRIDE)) * PORT_STRIDE;
  for (let tries = 0; tries < size / PORT_STRIDE; tries++) {
    /** @type {number} */
    const port = nextPort;
    nextPort = port + PORT_STRIDE >= start + size ? start : port + PORT_STRIDE;
    if (handedOut.has(port)) continue;
    if (await canBind(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(`no free port left in ${start}–${start + size - 1}`);
}

/**
 * Whether something accepts TCP connections on `host:port`.
 * @param {number} port
 * @returns {Promise<boolean>}
 */
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

/**
 * Installs the Debian package `name` with apt-get, as root; throws `cannotInstall` (what to do
 * instead) when this process is not root or has no apt-get. `log` says what is happening.
 * @param {string} name
 * @param {{ cannotInstall: string, log: (message: string) => void }} options
 */
function installDebianPackage(name, { cannotInstall, log }) {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const hasApt = spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0;
  if (!isRoot || !hasApt) throw new Error(cannotInstall);
  log(`installing the OS package ${name} (apt-get)…`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update'], { stdio: ['ignore', 'ignore', 'inherit'], env });
  execFileSync('apt-get', ['install', '-y', '--no-install-recommends', name], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env,
  });
}

/**
 * Resolves at the first SIGINT (Ctrl-C), SIGTERM or SIGHUP (terminal closed): when a launcher stops what it started.
 * @returns {Promise<NodeJS.Signals>}
 */
function stopSignal() {
  return new Promise((resolve) => {
    for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM', 'SIGHUP']))
      process.once(signal, () => resolve(signal));
  });
}

/**
 * Runs `cmd` (a command and its arguments) with `env`, passing this process's SIGINT and SIGTERM on
 * to it: the launchers' `run -- COMMAND`. Resolves to its exit code (128 when a signal ended it).
 * @param {string[]} cmd
 * @param {NodeJS.ProcessEnv} env
 * @returns {Promise<number>}
 */
function runForwardingSignals(cmd, env) {
  const child = spawn(cmd[0], cmd.slice(1), { stdio: 'inherit', env });
  /** @param {NodeJS.Signals} signal */
  const forward = (signal) => child.kill(signal);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1))));
}

/**
 * Runs a launcher's `main` as the process's command line: exits with the code it resolves to, or
 * logs its error's message and exits 1.
 * @param {(argv: string[]) => Promise<number>} main
 * @param {(message: string) => void} log
 */
function runCommandLine(main, log) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error) => {
      log(error.message);
      process.exit(1);
    },
  );
}

module.exports = { freePort, canConnect, installDebianPackage, runForwardingSignals, runCommandLine, stopSignal };

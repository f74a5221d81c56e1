// What the project's launchers (and, through libs/testing's freePort, the specs) need of this machine:
// free loopback ports, whether something listens, and Debian's packages installed when they are missing
// (RabbitMQ, PostgreSQL, Prometheus' promtool).
'use strict';

const { execFileSync, spawnSync } = require('node:child_process');
const net = require('node:net');

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

/** Whether something accepts TCP connections on `host:port`. */
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

/** Resolves at the first SIGINT (Ctrl-C), SIGTERM or SIGHUP (terminal closed): when a launcher stops what it started. */
function stopSignal() {
  return new Promise((resolve) => {
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.once(signal, () => resolve(signal));
  });
}

module.exports = { freePort, canConnect, installDebianPackage, stopSignal };

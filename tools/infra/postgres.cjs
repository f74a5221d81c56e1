#!/usr/bin/env node
/**
 * A local PostgreSQL server for development, tests and benchmarks, run from the OS package
 * (Debian's `postgresql`) as a foreground process on loopback, with its cluster under
 * `.local/postgres/<name>` in the project. Run as root, the server runs as the `postgres` OS user
 * (PostgreSQL refuses to run as root).
 *
 *   node tools/infra/postgres.cjs start            start, print the URL, stop on Ctrl-C/SIGTERM
 *   node tools/infra/postgres.cjs run -- CMD ARGS  run CMD with EVENT_HANDLER_DATABASE_URL set
 *                                                (starting a server only when it is not set)
 *   node tools/infra/postgres.cjs install          install the OS package when it is missing
 *
 * Environment: HELLO_POSTGRES_PORT (5432 for start, a free port for run), HELLO_POSTGRES_NAME (hello).
 */
'use strict';

const { spawn, spawnSync, execFileSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const {
  canConnect,
  freePort,
  installDebianPackage,
  runCommandLine,
  runForwardingSignals,
  stopSignal,
} = require('./host.cjs');

const ROOT = path.resolve(__dirname, '..', '..');
const PG_ROOT = '/usr/lib/postgresql';
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 30_000;
const USER = 'postgres';

/** @param {string} message */
function log(message) {
  process.stderr.write(`[postgres] ${message}\n`);
}

/** The bin folder of the newest PostgreSQL installed from the OS package, if any. */
function binDir() {
  if (!fs.existsSync(PG_ROOT)) return undefined;
  const versions = fs
    .readdirSync(PG_ROOT)
    .filter((v) => /^\d+$/.test(v) && fs.existsSync(path.join(PG_ROOT, v, 'bin', 'postgres')))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length ? path.join(PG_ROOT, versions[0], 'bin') : undefined;
}

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

/** Installs Debian's postgresql when it is missing and this process may do so; returns its bin folder. */
function ensureInstalled() {
  const existing = binDir();
  if (existing) return existing;
  installDebianPackage('postgresql', {
    log,
    cannotInstall:
      `PostgreSQL is not installed (nothing under ${PG_ROOT}) and cannot be installed from here: ` +
      'install the OS package postgresql (e.g. `sudo apt-get install -y postgresql`) or set ' +
      'EVENT_HANDLER_DATABASE_URL to a running server.',
  });
  // The package may have created and started a system cluster; ours runs on its own port.
  const installed = binDir();
  if (!installed) throw new Error(`apt-get finished but no PostgreSQL is under ${PG_ROOT}`);
  return installed;
}

/**
 * @typedef {{ uid: number, gid: number } | { uid?: undefined, gid?: undefined }} Identity
 * @returns {Identity}
 */
function serverIdentity() {
  if (!isRoot()) return {};
  const uid = Number(execFileSync('id', ['-u', USER], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', USER], { encoding: 'utf8' }).trim());
  return { uid, gid };
}

/**
 * The folder holding what the server itself writes (cluster, socket, log): `dir`, unless the
 * `postgres` OS user cannot reach it (a project under /root, mode 700): then a folder of its own
 * under the temp folder.
 * @param {string} dir
 * @param {string} name
 * @param {Identity} identity
 * @returns {string}
 */
function serverDirFor(dir, name, identity) {
  if (identity.uid === undefined) return dir;
  // X_OK on the folder: every folder above it can be traversed too.
  const probe = spawnSync(process.execPath, ['-e', `require('fs').accessSync(${JSON.stringify(dir)}, 1)`], {
    ...identity,
    stdio: 'ignore',
  });
  if (probe.status === 0) return dir;
  const fallback = path.join(os.tmpdir(), `hello-postgres-${name}`);
  fs.mkdirSync(fallback, { recursive: true, mode: 0o700 });
  fs.chownSync(fallback, identity.uid, identity.gid);
  log(`the ${USER} OS user cannot reach ${dir}: the cluster goes to ${fallback}`);
  return fallback;
}

/**
 * @param {string} bin
 * @param {number} port
 * @param {import('node:child_process').ChildProcess} child
 * @param {string} logFile
 */
async function waitReady(bin, port, child, logFile) {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`PostgreSQL exited during start-up (${child.exitCode ?? child.signalCode}); see ${logFile}`);
    }
    // The port opens before recovery has finished; pg_isready says when connections are accepted.
    const ready = spawnSync(path.join(bin, 'pg_isready'), ['-q', '-h', '127.0.0.1', '-p', String(port)]);
    if (ready.status === 0) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(
    `PostgreSQL did not accept connections on port ${port} within ${START_TIMEOUT_MS} ms; see ${logFile}`,
  );
}

/**
 * Starts a PostgreSQL server in the foreground of a child process, creating its cluster on first
 * use (superuser `postgres`, a random password kept in the cluster folder, SCRAM over TCP).
 * @param {{name?: string, port?: number, dataDir?: string}} [options] port 0 or unset: a free port.
 */
async function startPostgres(options = {}) {
  const bin = ensureInstalled();
  const name = options.name ?? 'hello';
  const port = options.port || (await freePort());
  const dir = options.dataDir ?? path.join(ROOT, '.local', 'postgres', name);
  const passwordFile = path.join(dir, 'password');
  const identity = serverIdentity();
  fs.mkdirSync(dir, { recursive: true });
  const serverDir = serverDirFor(dir, name, identity);
  const dataDir = path.join(serverDir, 'data');

  if (await canConnect(port)) {
    throw new Error(`port ${port} is already in use: stop what listens there or choose another port`);
  }
  if (!fs.existsSync(path.join(dataDir, 'PG_VERSION'))) {
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.writeFileSync(passwordFile, crypto.randomBytes(18).toString('base64url'), { mode: 0o600 });
    const pwfile = path.join(serverDir, 'initdb.pw');
    fs.copyFileSync(passwordFile, pwfile);
    fs.mkdirSync(dataDir, { mode: 0o700 });
    if (identity.uid !== undefined) {
      fs.chownSync(dataDir, identity.uid, identity.gid);
      fs.chownSync(pwfile, identity.uid, identity.gid);
    }
    try {
      execFileSync(
        path.join(bin, 'initdb'),
        [
          '-D',
          dataDir,
          '-U',
          USER,
          `--pwfile=${pwfile}`,
          '--auth-local=trust',
          '--auth-host=scram-sha-256',
          '-E',
          'UTF8',
          '--locale=C.UTF-8',
        ],
        { stdio: ['ignore', 'ignore', 'pipe'], ...identity, cwd: serverDir },
      );
    } finally {
      fs.rmSync(pwfile, { force: true });
    }
  }
  const password = fs.readFileSync(passwordFile, 'utf8').trim();
  const socketDir = path.join(serverDir, 'socket');
  fs.mkdirSync(socketDir, { recursive: true });
  if (identity.uid !== undefined) fs.chownSync(socketDir, identity.uid, identity.gid);

  const logFile = path.join(serverDir, 'server.log');
  /** @type {import('node:child_process').ChildProcess} */
  let child;
  const boot = async () => {
    const out = fs.openSync(logFile, 'a');
    if (identity.uid !== undefined) fs.fchownSync(out, identity.uid, identity.gid);
    child = spawn(
      path.join(bin, 'postgres'),
      [
        '-D',
        dataDir,
        '-p',
        String(port),
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        `unix_socket_directories=${socketDir}`,
      ],
      { stdio: ['ignore', out, out], detached: true, cwd: serverDir, ...identity },
    );
    fs.closeSync(out);
    await waitReady(bin, port, child, logFile);
  };
  const halt = async () => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    // SIGINT is PostgreSQL's "fast" shutdown: clients are disconnected, data is checkpointed.
    child.kill('SIGINT');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  };

  await boot();
  const base = `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}`;
  return {
    name,
    port,
    dir,
    logFile,
    /** URL of the database `database` (default `postgres`) on this server. */
    urlFor: (database = 'postgres') => `${base}/${encodeURIComponent(database)}`,
    get url() {
      return `${base}/postgres`;
    },
    get pid() {
      return child.pid;
    },
    /** Fast shutdown; waits for the server to exit. */
    stop: halt,
    /** Deletes the cluster (after `stop`). */
    remove() {
      fs.rmSync(dir, { recursive: true, force: true });
      if (serverDir !== dir) fs.rmSync(serverDir, { recursive: true, force: true });
    },
  };
}

/**
 * @param {string[]} argv
 * @returns {Promise<number>}
 */
async function main(argv) {
  const [command, ...rest] = argv;
  if (command === 'install') {
    log(`installed: ${ensureInstalled()}`);
    return 0;
  }
  if (command === 'start') {
    const server = await startPostgres({
      name: process.env['HELLO_POSTGRES_NAME'] || 'hello',
      port: Number(process.env['HELLO_POSTGRES_PORT'] || 5432),
    });
    log(
      `ready: ${server.url.replace(/:[^:@/]*@/, ':***@')} (password in ${path.join(server.dir, 'password')}); logs in ${server.logFile}`,
    );
    process.stdout.write(`${server.url}\n`);
    await stopSignal();
    log('stopping…');
    await server.stop();
    log('stopped');
    return 0;
  }
  if (command === 'run') {
    const cmd = rest[0] === '--' ? rest.slice(1) : rest;
    if (cmd.length === 0) throw new Error('usage: postgres.cjs run -- COMMAND [ARGS…]');
    let server;
    const env = { ...process.env };
    if (!env['EVENT_HANDLER_DATABASE_URL']) {
      server = await startPostgres({
        name: process.env['HELLO_POSTGRES_NAME'] || `run-${process.pid}`,
        port: Number(process.env['HELLO_POSTGRES_PORT'] || 0),
      });
      env['EVENT_HANDLER_DATABASE_URL'] = server.url;
      log(`ready on port ${server.port}`);
    }
    const code = await runForwardingSignals(cmd, env);
    if (server) {
      await server.stop();
      server.remove();
    }
    return code;
  }
  process.stderr.write('usage: postgres.cjs start | run -- COMMAND [ARGS…] | install\n');
  return 2;
}

module.exports = { startPostgres, ensureInstalled };

if (require.main === module) runCommandLine(main, log);

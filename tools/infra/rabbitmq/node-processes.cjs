// The processes around a local RabbitMQ node: the epmd it registers with, and a node that a killed
// launcher left running in its data directory (found by its pid files, checked against its
// environment, stopped by process group).
'use strict';

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const STOP_TIMEOUT_MS = 30_000;

/** @param {string} message */
function log(message) {
  if (!process.stderr.destroyed) process.stderr.write(`[rabbitmq] ${message}\n`);
}

function epmdBinary() {
  const erts = fs.readdirSync('/usr/lib/erlang').find((d) => d.startsWith('erts-'));
  return erts ? path.join('/usr/lib/erlang', erts, 'bin', 'epmd') : 'epmd';
}

/**
 * Stops the epmd on `epmdPort` when no node is registered with it any more.
 * @param {number} epmdPort
 */
function epmdKillIfIdle(epmdPort) {
  const env = { ...process.env, ERL_EPMD_PORT: String(epmdPort) };
  const names = spawnSync(epmdBinary(), ['-names'], { encoding: 'utf8', env });
  if (names.status !== 0) return;
  if (!/^name /m.test(names.stdout)) spawnSync(epmdBinary(), ['-kill'], { stdio: 'ignore', env });
}

/**
 * Node names registered with the epmd on `epmdPort`, with their distribution ports.
 * @param {number} epmdPort
 * @returns {Record<string, number>}
 */
function epmdNames(epmdPort) {
  const env = { ...process.env, ERL_EPMD_PORT: String(epmdPort) };
  const names = spawnSync(epmdBinary(), ['-names'], { encoding: 'utf8', env });
  if (names.status !== 0) return {};
  /** @type {Record<string, number>} */
  const found = {};
  for (const m of names.stdout.matchAll(/^name (\S+) at port (\d+)$/gm)) found[m[1]] = Number(m[2]);
  return found;
}

/** @param {number} pid */
function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return /** @type {NodeJS.ErrnoException} */ (error).code === 'EPERM';
  }
}

/**
 * The process group of `pid` (field 5 of /proc/<pid>/stat), or undefined.
 * @param {number} pid
 * @returns {number | undefined}
 */
function processGroupOf(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
  } catch {
    return undefined;
  }
}

/**
 * True when process `pid` runs with `marker` in its environment (a node of this data directory).
 * @param {number} pid
 * @param {string} marker
 */
function runsWith(pid, marker) {
  try {
    return fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(marker);
  } catch {
    return false;
  }
}

/**
 * Stops a node that a launcher left behind in `dir` (killed before it could stop the node): the pid
 * files name the processes, and only processes that really run with this data directory are signalled.
 * @param {string} dir
 * @param {string} marker
 * @returns {Promise<boolean>}
 */
async function reclaimLeftover(dir, marker) {
  /** @type {Set<number>} */
  const groups = new Set();
  /** @type {number[]} */
  const pids = [];
  for (const file of ['launcher.pid', 'rabbitmq.pid']) {
    const pid = Number(readIfExists(path.join(dir, file)));
    if (!Number.isInteger(pid) || pid <= 1 || !isAlive(pid) || !runsWith(pid, marker)) continue;
    pids.push(pid);
    const group = processGroupOf(pid);
    if (group && group > 1) groups.add(group);
  }
  if (pids.length === 0) return false;
  log(`stopping the node left running in ${dir} (pids ${pids.join(', ')})`);
  /** @param {NodeJS.Signals} sig */
  const signal = (sig) => {
    for (const group of groups) {
      try {
        process.kill(-group, sig);
      } catch {
        /* gone */
      }
    }
  };
  signal('SIGTERM');
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (pids.some(isAlive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  signal('SIGKILL');
  while (pids.some(isAlive)) await new Promise((r) => setTimeout(r, 100));
  return true;
}

/** @param {string} file */
function readIfExists(file) {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    return '';
  }
}

module.exports = { log, epmdKillIfIdle, epmdNames, isAlive, reclaimLeftover };

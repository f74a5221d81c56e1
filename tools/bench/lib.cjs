// Small helpers shared by the benchmark sections: processes, CPU time, percentiles.
'use strict';
const { randomUUID } = require('node:crypto');
const fs = require('node:fs');
const { freePort } = require('@hello/infra/host');
const { startProcess: startInfraProcess } = require('@hello/infra/process');
const { APP_NODE_FLAGS, appNodeArgs } = require('../stack/apps.cjs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');
const CLOCK_TICKS = 100; // USER_HZ on Linux

/**
 * Seconds of CPU (user + system) a process has used so far.
 * @param {number | undefined} pid
 */
function cpuSeconds(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/**
 * Resident set size of a process in MiB.
 * @param {number | undefined} pid
 */
function rssMiB(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/** @type {RegExpExecArray} */ (/VmRSS:\s+(\d+)/.exec(status))[1]);
  return kb / 1024;
}

/**
 * @param {number[]} sorted
 * @param {number} p
 */
function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)];
}

/** @param {number[]} values */
function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return percentile(sorted, 50);
}

/**
 * The cores of the processes the sections start, unless a section names others (`cpus`): every core
 * when the bench has pinned itself to the load generator's (run.cjs), so that they do not inherit it.
 * @type {string | undefined}
 */
let childCpus;

/** @param {string | undefined} cpus a taskset list, or undefined to leave children where they start */
function placeChildren(cpus) {
  childCpus = cpus;
}

/**
 * Starts a node process on `cpus` (default: see placeChildren) and resolves once it is ready — a line
 * of its output matches `ready`, or `ready()` resolves true (asked every 100 ms) — with `readyAfterMs`
 * set on the child: the time from spawning it until then. Output is kept for error messages only.
 * @typedef {import('node:child_process').ChildProcessByStdio<null, import('node:stream').Readable, import('node:stream').Readable> & { readyAfterMs: number }} StartedProcess
 * @param {string} label
 * @param {string[]} args
 * @param {{ env?: NodeJS.ProcessEnv, ready: RegExp | (() => Promise<boolean>), timeoutMs?: number, cpus?: string }} options
 * @returns {Promise<StartedProcess>}
 */
async function startProcess(label, args, { env, ready, timeoutMs = 60_000, cpus = childCpus }) {
  const started = performance.now();
  const process_ = startInfraProcess(label, process.execPath, args, { cwd: ROOT, env, cpus, keepOutput: 50_000 });
  try {
    if (ready instanceof RegExp) await process_.waitForOutput(ready, timeoutMs);
    else await process_.waitUntil(ready, timeoutMs);
  } catch (error) {
    await process_.stop();
    throw error;
  }
  // The output was for error messages only: from here on it is drained, not kept (a side measured
  // for CPU may log a line per operation).
  process_.dropOutput();
  return Object.assign(process_.child, { readyAfterMs: performance.now() - started });
}

/**
 * Starts the built event-handler on a free HTTP port (its TCP echo on any) with `env` added, and
 * resolves once its /health/ready answers 200.
 * @param {Record<string, string>} env
 * @returns {Promise<{ child: StartedProcess, base: string }>}
 */
async function startEventHandler(env) {
  const httpPort = await freePort();
  const base = `http://127.0.0.1:${httpPort}`;
  const child = await startProcess('event-handler', appNodeArgs(ROOT, 'event-handler'), {
    env: {
      ...process.env,
      NODE_ENV: 'production',
      EVENT_HANDLER_HOST: '127.0.0.1',
      EVENT_HANDLER_HTTP_PORT: String(httpPort),
      EVENT_HANDLER_TCP_PORT: '0',
      ...env,
    },
    ready: async () => (await fetch(`${base}/health/ready`)).status === 200,
  });
  return { child, base };
}

/**
 * @param {import('node:child_process').ChildProcess | undefined} child
 * @param {number} [timeoutMs]
 */
async function stopProcess(child, timeoutMs = 15_000) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  await exited;
  clearTimeout(timer);
}

const { installPeerPackage } = require('./peers/install.cjs');

const PEERS_SOURCE = path.join(__dirname, 'peers');
const PEERS_BUILD = path.join(ROOT, '.local', 'bench', 'peers');
let peersBuilt = false;

/**
 * Compiles `file` (TypeScript) to `out` with SWC, as the project's Jest and ts-register do.
 * @param {string} file
 * @param {string} out
 */
function compilePeer(file, out) {
  const { transformSync } = require('@swc/core');
  const swcOptions = require('@hello/build/swc-options');
  const { code } = transformSync(fs.readFileSync(file, 'utf8'), {
    ...swcOptions,
    filename: path.basename(file),
    sourceMaps: false,
  });
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, code);
}

/**
 * Compiles the peers (TypeScript under peers/) to plain JavaScript once per run, with SWC as the
 * project's Jest and ts-register do (decorator metadata included), so that a peer starts and runs
 * like a built app: no compiler loaded in its process, its start-up and RSS comparable. A peer in a
 * folder of its own (peers/golevelup) has its own package.json: it is installed next to its compiled
 * sources (peers/install.cjs), so it runs on its own dependencies (golevelup on NestJS 11), the
 * others on the project's.
 */
function buildPeers() {
  if (peersBuilt) return;
  for (const entry of fs.readdirSync(PEERS_SOURCE, { withFileTypes: true })) {
    if (entry.isFile() && entry.name.endsWith('.ts')) {
      compilePeer(path.join(PEERS_SOURCE, entry.name), path.join(PEERS_BUILD, entry.name.replace(/\.ts$/, '.js')));
    } else if (entry.isDirectory() && fs.existsSync(path.join(PEERS_SOURCE, entry.name, 'package.json'))) {
      installPeerPackage(entry.name);
      for (const file of fs.readdirSync(path.join(PEERS_SOURCE, entry.name)).filter((f) => f.endsWith('.ts'))) {
        compilePeer(
          path.join(PEERS_SOURCE, entry.name, file),
          path.join(PEERS_BUILD, entry.name, file.replace(/\.ts$/, '.js')),
        );
      }
    }
  }
  peersBuilt = true;
}

/**
 * Node arguments that run a peer: `file` is its source under peers/, e.g. nest-grpc.ts or
 * golevelup/golevelup-consumer.ts. Every side runs with the apps' V8 flags (APP_NODE_FLAGS), so that
 * what differs between the sides is their code, not how V8 sizes their heaps.
 * @param {string} file
 */
function peerArgs(file) {
  buildPeers();
  return [...APP_NODE_FLAGS, path.join(PEERS_BUILD, file.replace(/\.ts$/, '.js'))];
}

/**
 * Node arguments that run a raw baseline of this folder (e.g. raw-grpc-server.cjs), with the apps'
 * V8 flags like every side and `extra` Node options (profileArgs).
 * @param {string} file
 * @param {string[]} [extra]
 */
function rawArgs(file, extra = []) {
  return [...APP_NODE_FLAGS, ...extra, path.join(__dirname, file)];
}

/**
 * With HELLO_CPU_PROF=<dir>, a process runs under the V8 profiler and writes a .cpuprofile into
 * <dir>/<side> when it exits (open it in Chrome DevTools, or `node tools/bench/profile-summary.cjs`).
 * With HELLO_ALLOC_PROF=<dir>, under the sampling heap profiler counting freed objects too
 * (alloc-profile.cjs): a .heapprofile of where memory was allocated, the allocations behind garbage
 * collection, in <dir>/<app or script>. With HELLO_HEAP_PROF=<dir>, `node --heap-prof`: a .heapprofile
 * of what is still held when the process exits (a leak's allocation site), in <dir>/<side>.
 */
/** @param {string} side */
function profileArgs(side) {
  const cpu = process.env['HELLO_CPU_PROF'];
  const alloc = process.env['HELLO_ALLOC_PROF'];
  const heap = process.env['HELLO_HEAP_PROF'];
  return [
    ...(cpu ? ['--cpu-prof', `--cpu-prof-dir=${path.join(cpu, side)}`] : []),
    ...(alloc ? ['--require', path.join(__dirname, 'alloc-profile.cjs')] : []),
    ...(heap ? ['--heap-prof', `--heap-prof-dir=${path.join(heap, side)}`] : []),
  ];
}

/** @type {(ms: number) => Promise<void>} */
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * A W3C traceparent for the raw baselines, as the project's publishers put on every message: a child
 * span of `parent` when it is a traceparent, else a new trace. randomUUID draws from Node's cached
 * entropy, so there is no system call per id.
 */
/** @param {unknown} [parent] */
function rawTraceparent(parent) {
  const match = /^00-([0-9a-f]{32})-[0-9a-f]{16}-([0-9a-f]{2})$/.exec(typeof parent === 'string' ? parent : '');
  const traceId = match ? match[1] : randomUUID().replace(/-/g, '');
  return `00-${traceId}-${randomUUID().replace(/-/g, '').slice(0, 16)}-${match ? match[2] : '01'}`;
}

module.exports = {
  ROOT,
  freePort,
  cpuSeconds,
  rssMiB,
  percentile,
  median,
  peerArgs,
  rawArgs,
  profileArgs,
  placeChildren,
  startEventHandler,
  startProcess,
  stopProcess,
  sleep,
  rawTraceparent,
};

// What makes a benchmark's rounds comparable: the spread of a figure over the rounds, a quiet machine
// before each round (the load is recorded with it), and processes pinned to cores of their own.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const { median, sleep } = require('./lib.cjs');

/**
 * min, median and max of a figure over the rounds, and the spread (max − min) in % of the median.
 * @param {number[]} values
 */
function spread(values) {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return { min: NaN, median: NaN, max: NaN, spreadPct: NaN, n: 0 };
  const min = Math.min(...finite);
  const max = Math.max(...finite);
  const mid = median(finite);
  return { min, median: mid, max, spreadPct: ((max - min) / mid) * 100, n: finite.length };
}

/** The busy and total jiffies of all cores together (/proc/stat's first line). */
function cpuTimes() {
  const fields = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const total = fields.reduce((a, b) => a + b, 0);
  // idle + iowait are not busy.
  return { busy: total - fields[3] - (fields[4] ?? 0), total };
}

/** The share of the machine's cores (0–1) busy during the next `ms`. */
async function busyShare(ms = 1000) {
  const before = cpuTimes();
  await sleep(ms);
  const after = cpuTimes();
  const total = after.total - before.total;
  return total > 0 ? (after.busy - before.busy) / total : 0;
}

/**
 * Waits, saying so, until the machine is quiet — under `maxBusy` of its cores used while the bench's own
 * processes sit idle between runs — or `timeoutMs` passed; returns what the round starts with: the
 * 1-minute load average, the busy share measured last, how long it waited, and whether it gave up.
 * @param {string} label
 * @param {{ maxBusy?: number, timeoutMs?: number, log?: (message: string) => void }} [options]
 */
async function waitForQuiet(label, { maxBusy = 0.15, timeoutMs = 120_000, log = defaultLog } = {}) {
  const started = Date.now();
  let busy = await busyShare();
  let said = false;
  while (busy > maxBusy && Date.now() - started < timeoutMs) {
    if (!said) {
      log(
        `${label}: waiting for a quiet machine (${(busy * 100).toFixed(0)} % of ${os.cpus().length} cores busy, load ${os.loadavg()[0].toFixed(2)})`,
      );
      said = true;
    }
    busy = await busyShare();
  }
  const waitedMs = Date.now() - started;
  const noisy = busy > maxBusy;
  if (noisy)
    log(`${label}: still ${(busy * 100).toFixed(0)} % busy after ${waitedMs} ms; measuring anyway (marked noisy)`);
  else if (said) log(`${label}: quiet after ${waitedMs} ms`);
  return { load1: os.loadavg()[0], busyPct: busy * 100, waitedMs, noisy };
}

/** @param {string} message */
function defaultLog(message) {
  process.stderr.write(`[bench] ${message}\n`);
}

/**
 * Which cores the measured process gets and which the rest (load generator, this process):
 * the last core for the measured side, the others for the load; every core (`every`) for the
 * processes around them (the apps a section starts besides the measured one, the databases); none on
 * one core, or without `taskset` (util-linux), or with HELLO_BENCH_PIN=0.
 */
function pinningPlan() {
  const cores = os.cpus().length;
  const hasTaskset = spawnSync('sh', ['-c', 'command -v taskset'], { stdio: 'ignore' }).status === 0;
  if (cores < 2 || !hasTaskset || process.env['HELLO_BENCH_PIN'] === '0') {
    return { enabled: false, reason: cores < 2 ? 'one core' : !hasTaskset ? 'no taskset' : 'HELLO_BENCH_PIN=0' };
  }
  return {
    enabled: true,
    measured: String(cores - 1),
    rest: cores === 2 ? '0' : `0-${cores - 2}`,
    every: `0-${cores - 1}`,
  };
}

/**
 * Pins every thread of `pid` to `cpus` (a taskset list); false when it could not.
 * @param {number | undefined} pid
 * @param {string | undefined} cpus
 */
function pin(pid, cpus) {
  if (!pid || !cpus) return false;
  return spawnSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { stdio: 'ignore' }).status === 0;
}

/**
 * Pins `pid` and the processes it has started (a database server's) to `cpus`.
 * @param {number | undefined} pid
 * @param {string | undefined} cpus
 */
function pinWithChildren(pid, cpus) {
  if (!pin(pid, cpus)) return;
  const children = spawnSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).stdout ?? '';
  for (const child of children.split('\n').filter(Boolean)) pin(Number(child), cpus);
}

/**
 * One line saying where the processes run.
 * @param {ReturnType<typeof pinningPlan>} plan
 */
function describePinning(plan) {
  return plan.enabled
    ? `pinned: measured side on CPU ${plan.measured}; load generator and the bench on CPU ${plan.rest}; the broker and the other processes on any`
    : `not pinned (${plan.reason})`;
}

module.exports = { spread, busyShare, waitForQuiet, pinningPlan, pin, pinWithChildren, describePinning };

#!/usr/bin/env node
/**
 * Sums a V8 .cpuprofile (from `node --cpu-prof`, e.g. HELLO_CPU_PROF=<dir> npm run bench -- --only grpc)
 * into the frames that cost the most: self time per function, and total time (self plus callees) per
 * function and per package, optionally divided by a number of requests to give µs per request. A
 * .heapprofile (HELLO_ALLOC_PROF or HELLO_HEAP_PROF) is summed the same way in bytes allocated (KiB
 * per request).
 *
 *   node tools/bench/profile-summary.cjs <file.cpuprofile|file.heapprofile> [--requests N] [--top 25]
 */
'use strict';
const fs = require('node:fs');

/**
 * What this reads of a .cpuprofile (V8's Profiler.Profile) and of a .heapprofile (V8's
 * HeapProfiler.SamplingHeapProfile).
 * @typedef {{ functionName: string, url: string, lineNumber: number }} CallFrame
 * @typedef {{ id: number, callFrame: CallFrame, children?: number[] }} ProfileNode
 * @typedef {{ nodes: ProfileNode[], samples: number[], timeDeltas: number[] }} Profile
 * @typedef {{ id: number, callFrame: CallFrame, selfSize: number, children: HeapNode[] }} HeapNode
 * @typedef {{ head: HeapNode }} HeapProfile
 */

/**
 * Time per frame of a CPU profile, in µs.
 * @param {Profile} profile
 * @param {{ top?: number }} [options]
 */
function summarize(profile, options = {}) {
  // Sample intervals in µs; each sample is charged its interval.
  /** @type {Map<number, number>} */
  const selfUs = new Map();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i];
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i + 1] ?? profile.timeDeltas[i] ?? 0));
  }
  return summarizeWeights(profile.nodes, selfUs, options);
}

/**
 * Bytes allocated per frame of a sampling heap profile (each frame's `selfSize`), in the same shape as
 * `summarize` (its `total` and entries are bytes).
 * @param {HeapProfile} profile
 * @param {{ top?: number }} [options]
 */
function summarizeAllocations(profile, options = {}) {
  /** @type {ProfileNode[]} */
  const nodes = [];
  /** @type {Map<number, number>} */
  const selfBytes = new Map();
  /** @type {HeapNode[]} */
  const pending = [profile.head];
  for (let node = pending.pop(); node; node = pending.pop()) {
    nodes.push({ id: node.id, callFrame: node.callFrame, children: node.children.map((c) => c.id) });
    if (node.selfSize > 0) selfBytes.set(node.id, node.selfSize);
    pending.push(...node.children);
  }
  return summarizeWeights(nodes, selfBytes, options);
}

/**
 * @param {ProfileNode[]} profileNodes
 * @param {Map<number, number>} selfWeight what each node cost itself (µs of CPU, or bytes allocated)
 * @param {{ top?: number }} options
 */
function summarizeWeights(profileNodes, selfWeight, { top = 25 }) {
  const nodes = new Map(profileNodes.map((n) => [n.id, n]));
  /** @type {Map<number, number>} */
  const parent = new Map();
  for (const n of profileNodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const total = [...selfWeight.values()].reduce((a, b) => a + b, 0);
  /** @param {ProfileNode} n */
  const key = (n) => {
    const f = n.callFrame;
    const file = f.url.replace(/^.*node_modules\//, '').replace(/^.*\/(dist|apps|libs)\//, '$1/');
    return `${f.functionName || '(anonymous)'} ${file}:${f.lineNumber + 1}`;
  };
  /** @param {ProfileNode} n */
  const pkg = (n) => {
    const url = n.callFrame.url;
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
    if (m) return m[1];
    if (!url) return n.callFrame.functionName.startsWith('(') ? n.callFrame.functionName : '(native)';
    if (url.startsWith('node:')) return 'node core';
    return 'app';
  };
  /** @type {Map<string, number>} */
  const self = new Map();
  /** @type {Map<string, number>} */
  const inclusive = new Map();
  /** @type {Map<string, number>} */
  const byPackage = new Map();
  for (const [id, weight] of selfWeight) {
    // Every sampled id is a node of the profile.
    const n = /** @type {ProfileNode} */ (nodes.get(id));
    self.set(key(n), (self.get(key(n)) ?? 0) + weight);
    byPackage.set(pkg(n), (byPackage.get(pkg(n)) ?? 0) + weight);
    // Charge every distinct function on the stack once.
    /** @type {Set<string>} */
    const seen = new Set();
    for (let cur = /** @type {number | undefined} */ (id); cur !== undefined; cur = parent.get(cur)) {
      const k = key(/** @type {ProfileNode} */ (nodes.get(cur)));
      if (seen.has(k)) continue;
      seen.add(k);
      inclusive.set(k, (inclusive.get(k) ?? 0) + weight);
    }
  }
  /** @param {Map<string, number>} m */
  const sorted = (m) => [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
  return { total, self: sorted(self), inclusive: sorted(inclusive), byPackage: sorted(byPackage) };
}

/** @param {string[]} argv */
function main(argv) {
  const file = argv[0];
  if (!file) {
    throw new Error('usage: profile-summary.cjs <file.cpuprofile|file.heapprofile> [--requests N] [--top 25]');
  }
  const requests = argv.includes('--requests') ? Number(argv[argv.indexOf('--requests') + 1]) : undefined;
  const top = argv.includes('--top') ? Number(argv[argv.indexOf('--top') + 1]) : 25;
  const profile = JSON.parse(fs.readFileSync(file, 'utf8'));
  const heap = 'head' in profile;
  const s = heap ? summarizeAllocations(profile, { top }) : summarize(profile, { top });
  /** @param {number} value µs, or bytes */
  const amount = (value) =>
    heap ? `${(value / 1024).toFixed(2).padStart(8)} KiB/req` : `${value.toFixed(2).padStart(7)} µs/req`;
  /** @param {[string, number][]} list */
  const idle = (list) => list.filter(([k]) => !k.startsWith('(idle)') && !k.startsWith('(program)'));
  /** @param {[string, number]} entry */
  const line = ([k, weight]) =>
    `${((100 * weight) / s.total).toFixed(1).padStart(5)} %${requests ? `  ${amount(weight / requests)}` : ''}  ${k}`;
  const sampled = heap ? `${(s.total / 2 ** 20).toFixed(1)} MiB allocated` : `${(s.total / 1e6).toFixed(2)} s sampled`;
  const what = heap ? 'allocated' : 'time';
  const out = [`profile: ${sampled}${requests ? `, ${requests} requests` : ''}`];
  out.push('', `self ${what} by package:`, ...s.byPackage.map(line));
  out.push('', `self ${what} by function:`, ...s.self.map(line));
  out.push('', `total ${what} (self + callees) by function:`, ...idle(s.inclusive).map(line));
  process.stdout.write(`${out.join('\n')}\n`);
}

module.exports = { summarize, summarizeAllocations };

if (require.main === module) main(process.argv.slice(2));

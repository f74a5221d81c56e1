#!/usr/bin/env node
/**
 * Runs the operator CLI: `npm run ops -- <command> …` (and `npm run dlq|events|projections -- …`).
 * The CLI is the bundle `nx build ops` makes (dist/tools/ops/main.js, the project's libraries compiled
 * in); this builds it first when it is missing or older than a file it is made of, then runs it in
 * this process. The build's output goes to stderr: stdout is the command's (JSON lines).
 *
 * A bundle of its own rather than TypeScript run from source: the CLI is type-checked and built like
 * the apps, and needs neither the test library's loader nor a compiler at run time.
 */
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');
const BUNDLE = path.join(ROOT, 'dist', 'tools', 'ops', 'main.js');
/** What the bundle is made of: a change to any of these makes it stale. */
const SOURCES = [
  'tools/ops/src',
  'tools/ops/tsconfig.app.json',
  'tools/ops/webpack.config.js',
  'tools/build',
  'libs/contracts/src',
  'libs/messaging/src',
  'tsconfig.base.json',
  'package-lock.json',
];
const LOCK = path.join(ROOT, '.local', 'ops-build.lock');

/**
 * The newest modification time under `file` (a file or a folder), specs left out.
 * @param {string} file
 * @returns {number}
 */
function newestMtime(file) {
  const stat = fs.statSync(file, { throwIfNoEntry: false });
  if (!stat) return 0;
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of fs.readdirSync(file)) {
    if (entry.endsWith('.spec.ts')) continue;
    newest = Math.max(newest, newestMtime(path.join(file, entry)));
  }
  return newest;
}

function isStale() {
  const built = fs.statSync(BUNDLE, { throwIfNoEntry: false });
  return !built || SOURCES.some((source) => newestMtime(path.join(ROOT, source)) > built.mtimeMs);
}

/**
 * Builds the bundle unless it is current. One build at a time: a second CLI started meanwhile waits
 * for the first's build (a lock folder) instead of writing dist/ under its feet.
 */
function ensureBuilt() {
  if (process.env['HELLO_SKIP_BUILD'] === '1' || !isStale()) return;
  fs.mkdirSync(path.dirname(LOCK), { recursive: true });
  const waitUntil = Date.now() + 300_000;
  for (;;) {
    try {
      fs.mkdirSync(LOCK);
      break;
    } catch (error) {
      if (/** @type {NodeJS.ErrnoException} */ (error).code !== 'EEXIST') throw error;
      // A lock older than any build is left over from a killed one.
      const since = fs.statSync(LOCK, { throwIfNoEntry: false })?.mtimeMs ?? Date.now();
      if (Date.now() - since > 300_000) fs.rmSync(LOCK, { recursive: true, force: true });
      else if (Date.now() > waitUntil) throw new Error(`another build of the CLI holds ${LOCK}`, { cause: error });
      else Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
    }
  }
  try {
    if (!isStale()) return;
    process.stderr.write('[ops] building the CLI (nx build ops)…\n');
    const result = spawnSync(
      process.execPath,
      [require.resolve('nx/bin/nx'), 'run', 'ops:build', '--outputStyle=static'],
      {
        cwd: ROOT,
        stdio: ['ignore', process.stderr, process.stderr],
        env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true' },
      },
    );
    if (result.status !== 0) throw new Error(`nx build ops failed (exit ${result.status ?? result.signal})`);
  } finally {
    fs.rmSync(LOCK, { recursive: true, force: true });
  }
}

ensureBuilt();
process.argv.splice(1, 1, BUNDLE);
require(BUNDLE);

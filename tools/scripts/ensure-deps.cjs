#!/usr/bin/env node
// Installs the npm dependencies when node_modules is missing or older than the lockfile, and rebuilds
// the native addons when they were built for another Node (its ABI, `process.versions.modules`), so
// the README's commands work on a fresh clone and after a change of Node.
'use strict';
const { execSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..', '..');
const marker = path.join(root, 'node_modules', '.package-lock.json');
const builtFor = path.join(root, 'node_modules', '.hello-node-abi');
const lock = path.join(root, 'package-lock.json');

/** @param {string} command */
const run = (command) => execSync(command, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
const abi = `${process.versions.modules} ${process.platform}-${process.arch}`;

const stale = !fs.existsSync(marker) || fs.statSync(marker).mtimeMs < fs.statSync(lock).mtimeMs;
if (stale) {
  process.stderr.write(`[deps] installing npm dependencies on Node ${process.version}…\n`);
  // `npm install` rather than `npm ci`: the lockfile omits other platforms' optional binaries that
  // this registry mirror does not serve, which `npm ci` rejects.
  run('npm install --no-audit --no-fund');
} else if (!fs.existsSync(builtFor) || fs.readFileSync(builtFor, 'utf8') !== abi) {
  process.stderr.write(`[deps] rebuilding native addons for Node ${process.version}…\n`);
  run('npm rebuild');
}
fs.writeFileSync(builtFor, abi);

#!/usr/bin/env node
// Installs the npm dependencies when node_modules is missing or older than the lockfile, so the
// README's commands work on a fresh clone.
'use strict';
const { execSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..', '..');
const marker = path.join(root, 'node_modules', '.package-lock.json');
const lock = path.join(root, 'package-lock.json');
const stale = !fs.existsSync(marker) || fs.statSync(marker).mtimeMs < fs.statSync(lock).mtimeMs;
if (stale) {
  process.stderr.write('[deps] installing npm dependencies…\n');
  // `npm install` rather than `npm ci`: the lockfile omits other platforms' optional binaries that
  // this registry mirror does not serve, which `npm ci` rejects.
  execSync('npm install --no-audit --no-fund', { cwd: root, stdio: 'inherit' });
}

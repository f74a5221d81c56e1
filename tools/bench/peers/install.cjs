#!/usr/bin/env node
/**
 * Installs a benchmark peer that has a package of its own (a folder under tools/bench/peers with its
 * package.json and lockfile, e.g. golevelup: @golevelup/nestjs-rabbitmq supports NestJS 11 only, while
 * the project is on 12) into .local/bench/peers/<name>, where its compiled sources run. Installs once,
 * and again when the lockfile changes.
 *
 *   node tools/bench/peers/install.cjs golevelup
 */
'use strict';

const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..', '..');
const BUILD = path.join(ROOT, '.local', 'bench', 'peers');

/**
 * Installs the peer package `name` if needed; returns the folder it is installed in.
 * @param {string} name
 */
function installPeerPackage(name) {
  const source = path.join(__dirname, name);
  const target = path.join(BUILD, name);
  const lock = fs.readFileSync(path.join(source, 'package-lock.json'), 'utf8');
  const installedLock = path.join(target, '.installed-package-lock.json');
  if (fs.existsSync(installedLock) && fs.readFileSync(installedLock, 'utf8') === lock) return target;
  process.stderr.write(`[bench] installing the ${name} peer's own dependencies into ${path.relative(ROOT, target)}…\n`);
  fs.mkdirSync(target, { recursive: true });
  fs.copyFileSync(path.join(source, 'package.json'), path.join(target, 'package.json'));
  fs.writeFileSync(path.join(target, 'package-lock.json'), lock);
  // `npm install` rather than `npm ci`, as for the project (see tools/scripts/ensure-deps.cjs).
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--no-save'], {
    cwd: target,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  fs.writeFileSync(installedLock, lock);
  return target;
}

if (require.main === module) {
  const names = process.argv.slice(2);
  if (names.length === 0) {
    process.stderr.write('usage: node tools/bench/peers/install.cjs <peer folder>…\n');
    process.exit(2);
  }
  for (const name of names) installPeerPackage(name);
}

module.exports = { installPeerPackage };

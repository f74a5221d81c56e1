#!/usr/bin/env node
// Type-checks every project, sources and specs (`tsc --noEmit` on each app/lib tsconfig). Jest runs
// the specs through SWC, which strips types without checking them, so `npm test` runs this first.
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..', '..');
const tsc = require.resolve('typescript/bin/tsc');

function configs() {
  const found = [];
  for (const group of ['apps', 'libs']) {
    for (const project of fs.readdirSync(path.join(root, group))) {
      for (const name of ['tsconfig.app.json', 'tsconfig.lib.json', 'tsconfig.spec.json']) {
        const file = path.join(group, project, name);
        if (fs.existsSync(path.join(root, file))) found.push(file);
      }
    }
  }
  found.push(
    path.join('tools', 'stack', 'tsconfig.json'),
    path.join('tools', 'rabbitmq', 'tsconfig.json'),
    path.join('tools', 'bench', 'peers', 'tsconfig.json'),
  );
  return found;
}

function check(config) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [tsc, '--noEmit', '-p', config], { cwd: root });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('close', (code) => resolve({ config, code, output }));
  });
}

async function main() {
  const all = configs();
  const queue = [...all];
  const failures = [];
  // Two at a time: each tsc is single-threaded.
  await Promise.all(
    [0, 1].map(async () => {
      while (queue.length > 0) {
        const result = await check(queue.shift());
        if (result.code !== 0) failures.push(result);
      }
    }),
  );
  for (const { config, output } of failures) process.stderr.write(`[typecheck] ${config}\n${output}\n`);
  process.stderr.write(`[typecheck] ${all.length - failures.length} of ${all.length} tsconfigs type-check\n`);
  process.exit(failures.length === 0 ? 0 : 1);
}

main();

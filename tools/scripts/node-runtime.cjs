#!/usr/bin/env node
/**
 * The Node.js the project's commands run on: the major in `.nvmrc`. When the machine's `node` is older,
 * the official binary comes from the npm registry (the package `node-<platform>-<arch>`, binary and
 * headers inside) into `.local/node/`, once; native addons (better-sqlite3) compile against its headers.
 *
 *   node tools/scripts/node-runtime.cjs     prints `export PATH=…` (and `npm_config_nodedir=…`) for a shell
 *
 * Written for any Node from 18 on, since it runs before the right one is there.
 */
'use strict';

const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');
const REQUIRED_MAJOR = Number(
  fs.readFileSync(path.join(ROOT, '.nvmrc'), 'utf8').trim().replace(/^v/, '').split('.')[0],
);
const PACKAGE = `node-${process.platform}-${process.arch}`;
const HOME = path.join(ROOT, '.local', 'node', PACKAGE);

/** @param {string | number} version */
const majorOf = (version) => Number(String(version).replace(/^v/, '').split('.')[0]);
/** @param {string} message */
const log = (message) => process.stderr.write(`[node] ${message}\n`);

function installedVersion() {
  try {
    return JSON.parse(fs.readFileSync(path.join(HOME, 'package.json'), 'utf8')).version;
  } catch {
    return undefined;
  }
}

/** Fetches `node-<platform>-<arch>@<major>` (the newest of that major) with npm and unpacks it into HOME. */
function install() {
  log(
    `this machine's Node is ${process.version}; the project runs on Node ${REQUIRED_MAJOR}: fetching ${PACKAGE}@${REQUIRED_MAJOR} into .local/node (once)`,
  );
  const staging = `${HOME}.partial`;
  fs.rmSync(staging, { recursive: true, force: true });
  fs.mkdirSync(staging, { recursive: true });
  let packed;
  try {
    const out = execFileSync('npm', ['pack', `${PACKAGE}@${REQUIRED_MAJOR}`, '--pack-destination', staging, '--json'], {
      cwd: staging,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    packed = path.join(staging, JSON.parse(out)[0].filename);
  } catch (error) {
    throw new Error(
      `could not fetch ${PACKAGE}@${REQUIRED_MAJOR} from the npm registry (${/** @type {Error} */ (error).message.split('\n')[0]}); ` +
        `install Node ${REQUIRED_MAJOR} yourself and run the command again`,
      { cause: error },
    );
  }
  execFileSync('tar', ['-xzf', packed, '-C', staging, '--strip-components=1'], { stdio: 'inherit' });
  fs.rmSync(packed);
  fs.rmSync(HOME, { recursive: true, force: true });
  fs.renameSync(staging, HOME);
  log(`Node ${installedVersion()} is in ${path.relative(ROOT, HOME)}`);
}

/**
 * Where the right `node` is: `{ binDir, nodedir, version }`, with `nodedir` (headers for native addons)
 * when its headers are known. Uses the running Node when its major is new enough.
 */
function ensureNode() {
  if (majorOf(process.version) >= REQUIRED_MAJOR) {
    // The running Node's own headers where they sit beside it (a fetched Node, nvm, the official
    // tarball): npm's `nodedir` may name another Node's.
    const prefix = path.resolve(path.dirname(process.execPath), '..');
    const nodedir = fs.existsSync(path.join(prefix, 'include', 'node', 'common.gypi')) ? prefix : undefined;
    return { binDir: path.dirname(process.execPath), nodedir, version: process.version };
  }
  if (majorOf(installedVersion() ?? 0) !== REQUIRED_MAJOR) install();
  return { binDir: path.join(HOME, 'bin'), nodedir: HOME, version: `v${installedVersion()}` };
}

/** @param {string} value */
const quote = (value) => `'${String(value).replace(/'/g, `'\\''`)}'`;

if (require.main === module) {
  const { binDir, nodedir } = ensureNode();
  const lines = [`export PATH=${quote(`${binDir}${path.delimiter}${process.env['PATH'] ?? ''}`)}`];
  lines.push(nodedir ? `export npm_config_nodedir=${quote(nodedir)}` : 'unset npm_config_nodedir');
  process.stdout.write(`${lines.join('\n')}\n`);
}

module.exports = { ensureNode, REQUIRED_MAJOR };

#!/usr/bin/env node
/**
 * `npm test`: every check, in phases — formatting, lint, dependency list (knip), type-check, then the Jest
 * projects (unit and end-to-end, on a local RabbitMQ and PostgreSQL that Jest's global set-up starts).
 * Every phase runs even when one before it failed, so one run shows every failure; the run ends with a
 * line per phase and per Jest project with its time, then `tests: N passed, N failed, N skipped`.
 *
 *   npm test                         everything
 *   npm run test:affected            only what a change touches (see affected.cjs), against the merge
 *                                    base with main, or `-- --base <ref>`
 *
 * Extra arguments after `--` go to Jest (e.g. `npm test -- apps/greeter`).
 */
'use strict';

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { affectedScope } = require('./affected.cjs');

const ROOT = path.resolve(__dirname, '..', '..');
const REPORT = path.join(ROOT, '.local', 'test-report.json');
/**
 * The file of `pkg`'s command `name` (its package.json `bin`).
 * @param {string} pkg
 * @returns {string}
 */
function bin(pkg, name = pkg) {
  // Found on disk: a package whose `exports` leave out package.json (knip) cannot be resolved to it.
  const manifest = path.join(ROOT, 'node_modules', pkg, 'package.json');
  /** @type {{ bin: string | Record<string, string> }} */
  const { bin: bins } = require(manifest);
  return path.join(path.dirname(manifest), typeof bins === 'string' ? bins : bins[name]);
}

/**
 * @param {string[]} argv
 * @returns {{ affected: boolean, base: string | undefined, jestArgs: string[] }}
 */
function parseArgs(argv) {
  /** @type {ReturnType<typeof parseArgs>} */
  const options = { affected: false, base: undefined, jestArgs: [] };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--affected') options.affected = true;
    else if (argv[i] === '--base') options.base = argv[++i];
    else options.jestArgs.push(argv[i]);
  }
  return options;
}

/**
 * @param {string} command
 * @param {string[]} args
 * @param {NodeJS.ProcessEnv} [env]
 * @param {'inherit' | 'ignore'} [stdout]
 * @returns {Promise<number>}
 */
function run(command, args, env = {}, stdout = 'inherit') {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      cwd: ROOT,
      stdio: ['ignore', stdout, 'inherit'],
      env: { ...process.env, ...env },
    });
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
    child.once('error', (error) => {
      process.stderr.write(`${command}: ${error.message}\n`);
      resolve(1);
    });
  });
}

/** @type {(file: string, args?: string[], env?: NodeJS.ProcessEnv, stdout?: 'inherit' | 'ignore') => Promise<number>} */
const node = (file, args = [], env, stdout) => run(process.execPath, [file, ...args], env, stdout);

/**
 * @typedef {{ name: string, run: () => Promise<number> }} Phase
 * @param {import('./affected.cjs').Scope} scope
 * @param {string[]} jestArgs
 * @returns {Phase[]}
 */
function phasesFor(scope, jestArgs) {
  /** @type {Phase[]} */
  const phases = [];
  if (scope.files === undefined || scope.files.length > 0) {
    phases.push({
      name: 'format',
      // --no-error-on-unmatched-pattern: a changed file may be one Prettier ignores.
      run: () => node(bin('prettier'), ['--check', '--no-error-on-unmatched-pattern', ...(scope.files ?? ['.'])]),
    });
  }
  if (scope.lintPaths === undefined || scope.lintPaths.length > 0) {
    phases.push({
      name: 'lint',
      // `nx show projects` writes the project graph that @nx/enforce-module-boundaries reads.
      run: async () =>
        (await node(bin('nx'), ['show', 'projects'], { NX_DAEMON: 'false' }, 'ignore')) ||
        node(bin('eslint'), ['--no-warn-ignored', ...(scope.lintPaths ?? ['.'])]),
    });
  }
  phases.push({
    name: 'deps',
    // Every listed package imported somewhere, every imported package listed (knip.json).
    run: () => node(bin('knip'), []),
  });
  if (scope.typecheck !== false) {
    phases.push({
      name: 'type-check',
      // One program over every project's sources, specs and tools (tsconfig.typecheck.json): the
      // libraries' types are loaded once, not once per project.
      run: () => node(bin('typescript', 'tsc'), ['-p', 'tsconfig.typecheck.json']),
    });
  }
  if (scope.jestProjects === undefined || scope.jestProjects.length > 0) {
    const select = scope.jestProjects ? ['--selectProjects', ...scope.jestProjects] : [];
    phases.push({
      name: 'jest',
      run: () =>
        node(bin('jest'), ['--ci', ...select, ...jestArgs], {
          HELLO_TEST_REPORT: REPORT,
          NODE_OPTIONS: jestNodeOptions(),
        }),
    });
  }
  return phases;
}

/**
 * NestJS 12 and Kysely 0.29 are ES modules that the CommonJS code loads with `require` (Node's
 * require(esm)); Jest's module registry needs Node's VM modules for that. The warning that they are
 * experimental would be printed by every process the specs start.
 */
const JEST_NODE_OPTIONS = ['--experimental-vm-modules', '--disable-warning=ExperimentalWarning'];

function jestNodeOptions(current = process.env['NODE_OPTIONS'] ?? '') {
  const options = current.split(/\s+/).filter(Boolean);
  for (const option of JEST_NODE_OPTIONS) if (!options.includes(option)) options.push(option);
  return options.join(' ');
}

/** @param {number} ms */
const seconds = (ms) => `${(ms / 1000).toFixed(1).padStart(6)} s`;

/**
 * @param {{ name: string, ms: number, code: number }[]} results
 * @param {number} wallMs
 */
function printSummary(results, wallMs) {
  const lines = ['', 'phase          time     result'];
  for (const { name, ms, code } of results)
    lines.push(`${name.padEnd(12)} ${seconds(ms)}   ${code === 0 ? 'ok' : 'FAILED'}`);
  /** @type {{ projects: { name: string, wallMs: number, testMs: number, suites: number, tests: number, failed: number }[], totals: { passed: number, failed: number, skipped: number } } | undefined} */
  let report;
  try {
    report = JSON.parse(fs.readFileSync(REPORT, 'utf8'));
  } catch {
    report = undefined;
  }
  if (report && results.some((r) => r.name === 'jest')) {
    lines.push('', 'jest project    wall     test time   suites  tests  failed');
    for (const p of report.projects) {
      lines.push(
        `${p.name.padEnd(14)} ${seconds(p.wallMs)}  ${seconds(p.testMs)}   ${String(p.suites).padStart(6)} ${String(p.tests).padStart(6)} ${String(p.failed).padStart(7)}`,
      );
    }
  }
  lines.push('', `${'all'.padEnd(12)} ${seconds(wallMs)}`);
  process.stdout.write(`${lines.join('\n')}\n`);
  // The closing line CI systems read: the Jest totals, or 0 tests when Jest did not run.
  const t = report?.totals ?? { passed: 0, failed: 0, skipped: 0 };
  const failedPhases = results.filter((r) => r.code !== 0 && r.name !== 'jest').length;
  process.stdout.write(`\ntests: ${t.passed} passed, ${t.failed + failedPhases} failed, ${t.skipped} skipped\n`);
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  /** @type {import('./affected.cjs').Scope} */
  const scope = options.affected ? affectedScope(ROOT, options.base) : {};
  if (scope.description) process.stdout.write(`${scope.description}\n`);
  fs.rmSync(REPORT, { force: true });
  const started = Date.now();
  /** @type {{ name: string, ms: number, code: number }[]} */
  const results = [];
  for (const phase of phasesFor(scope, options.jestArgs)) {
    process.stdout.write(`\n── ${phase.name} ──\n`);
    const t0 = Date.now();
    const code = await phase.run();
    results.push({ name: phase.name, ms: Date.now() - t0, code });
  }
  printSummary(results, Date.now() - started);
  process.exit(results.every((r) => r.code === 0) ? 0 : 1);
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exit(1);
});

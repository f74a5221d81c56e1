// Lets plain `node` run the project's TypeScript sources (e.g. an app's src/main.ts) in a child
// process: compiles each .ts file with @swc/core as Jest does (decorator metadata included) and
// resolves the @hello/* aliases of tsconfig.base.json. Used by the test library's spawnApp,
// `npm run contracts` and the benchmark.
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const Module = require('node:module');
const { transformSync } = require('@swc/core');

const ROOT = path.resolve(__dirname, '..', '..');
const options = require('./swc-options.cjs');
const { paths = {} } = JSON.parse(fs.readFileSync(path.join(ROOT, 'tsconfig.base.json'), 'utf8')).compilerOptions;
const aliases = new Map(Object.entries(paths).map(([alias, [target]]) => [alias, path.join(ROOT, target)]));

// `_resolveFilename` is Node's internal resolver, which @types/node leaves out.
const internals = /** @type {{ _resolveFilename(this: unknown, request: string, ...rest: unknown[]): string }} */ (
  /** @type {unknown} */ (Module)
);
const resolveFilename = internals._resolveFilename;
/**
 * @this {unknown}
 * @param {string} request
 * @param {...unknown} rest
 */
internals._resolveFilename = function resolveAlias(request, ...rest) {
  return resolveFilename.call(this, aliases.get(request) ?? request, ...rest);
};

/**
 * @param {NodeJS.Module} module
 * @param {string} filename
 */
require.extensions['.ts'] = function compileTypeScript(module, filename) {
  const { code } = transformSync(fs.readFileSync(filename, 'utf8'), {
    ...options,
    filename,
  });
  // `_compile` is Node's internal module compiler, which @types/node leaves out.
  /** @type {{ _compile(code: string, filename: string): void }} */ (/** @type {unknown} */ (module))._compile(
    code,
    filename,
  );
};

process.setSourceMapsEnabled?.(true);

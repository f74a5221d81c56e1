// Lets plain `node` run the project's TypeScript sources (e.g. an app's src/main.ts) in a child
// process: compiles each .ts file with @swc/core as Jest does (decorator metadata included) and
// resolves the @hello/* aliases of tsconfig.base.json. Used by spawnApp for crash tests.
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const Module = require('node:module');
const { transformSync } = require('@swc/core');

const ROOT = path.resolve(__dirname, '..', '..', '..', '..');
const options = require(path.join(ROOT, 'tools', 'jest', 'swc-options.cjs'));
const { paths = {} } = JSON.parse(fs.readFileSync(path.join(ROOT, 'tsconfig.base.json'), 'utf8')).compilerOptions;
const aliases = new Map(Object.entries(paths).map(([alias, [target]]) => [alias, path.join(ROOT, target)]));

const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function resolveAlias(request, ...rest) {
  return resolveFilename.call(this, aliases.get(request) ?? request, ...rest);
};

require.extensions['.ts'] = function compileTypeScript(module, filename) {
  const { code } = transformSync(fs.readFileSync(filename, 'utf8'), {
    ...options,
    filename,
  });
  module._compile(code, filename);
};

process.setSourceMapsEnabled?.(true);

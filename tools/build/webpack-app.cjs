// The webpack configuration of every app (apps/<app>/webpack.config.js) and of the operator CLI
// (tools/ops): Nx's app plugin bundles src/main.ts for Node into dist/<its folder>, with the .proto
// files beside it (apps) and a generated package.json of its production dependencies (what the
// Dockerfile installs).
'use strict';
const { NxAppWebpackPlugin } = require('@nx/webpack/app-plugin');
const { Compilation, ContextReplacementPlugin, DefinePlugin, optimize, sources } = require('webpack');
const { existsSync } = require('node:fs');
const { join, relative } = require('node:path');

const ROOT = join(__dirname, '..', '..');

/**
 * Packages compiled into the bundle instead of required at run time. NestJS 12 ships as ES modules
 * only: required from the CommonJS bundle, each of its files would go through Node's ES module loader
 * at start-up (resolved, read, parsed and linked one by one), most of an app's start-up time. Bundled,
 * they are part of one script. nestjs-pino and rxjs come along because left out, they would load a
 * second @nestjs/common (nestjs-pino) or a second rxjs beside the bundled ones; so do the small
 * packages only these use. Everything else stays a run-time require (see `externals`). The generated
 * package.json still lists the bundled packages (Nx derives it from the imports, not from the bundle):
 * the image installs them, and with them what they require at run time (express, path-to-regexp…).
 */
const BUNDLED = new Set([
  'nestjs-pino',
  'rxjs',
  'tslib',
  'iterare',
  'uid',
  '@lukeed/csprng',
  'fast-safe-stringify',
  'load-esm',
  'es-toolkit',
  'dotenv',
  'dotenv-expand',
  'js-yaml',
  '@microsoft/tsdoc',
]);
/** @param {string} name */
const bundled = (name) => name.startsWith('@nestjs/') || BUNDLED.has(name);

/** @type {Map<string, boolean>} */
const installed = new Map();
/**
 * Whether package `name` is installed (Nest's optional peers, e.g. @nestjs/websockets, are not).
 * @param {string} name
 * @returns {boolean}
 */
function isInstalled(name) {
  if (!installed.has(name)) {
    // Not require.resolve(`${name}/package.json`): a package's `exports` may not list it.
    const folders = require.resolve.paths(name) ?? [];
    installed.set(
      name,
      folders.some((folder) => existsSync(join(folder, name, 'package.json'))),
    );
  }
  return /** @type {boolean} */ (installed.get(name));
}

/**
 * The package a request names: `@scope/name` or `name`.
 * @param {string} request
 */
function packageOf(request) {
  const parts = request.split('/');
  return request.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/**
 * What stays a run-time require from node_modules: everything not in BUNDLED, among them the modules
 * OpenTelemetry's instrumentations patch as they are required (@grpc/grpc-js, http, amqplib, pg…),
 * OpenTelemetry itself (one global API per process), pino (its transports run in worker threads from
 * their own files), native addons (better-sqlite3), swagger-ui-dist (served from its folder), and the
 * optional packages Nest tries to load and that are not installed (it goes on without them). The
 * project's own libraries (@hello/*) are bundled.
 * @param {{ request?: string }} data
 * @param {(error?: Error | null, result?: string) => void} callback
 */
function externals({ request }, callback) {
  if (!request || request.startsWith('.') || request.startsWith('/') || request.startsWith('@hello/')) {
    return callback();
  }
  const name = packageOf(request);
  if (!request.startsWith('node:') && bundled(name) && isInstalled(name)) return callback();
  return callback(null, `commonjs ${request}`);
}

/**
 * Writes every character of the bundle outside ASCII as a `\u` escape (in the bundled packages' strings,
 * regular expressions and comments: dashes, ellipses, emoji). V8 keeps a script's source for as long
 * as the script lives, one byte per character only when all of them are Latin-1; a few dozen others make
 * it two bytes per character (2–3 MiB more RSS per app, measured). Escaped, each means the same to JavaScript;
 * the source map (by line) stays true.
 */
class AsciiOnlyPlugin {
  /** @param {import('webpack').Compiler} compiler */
  apply(compiler) {
    compiler.hooks.thisCompilation.tap('AsciiOnlyPlugin', (compilation) => {
      compilation.hooks.processAssets.tap(
        { name: 'AsciiOnlyPlugin', stage: Compilation.PROCESS_ASSETS_STAGE_OPTIMIZE_INLINE },
        (assets) => {
          for (const [name, asset] of Object.entries(assets)) {
            if (!name.endsWith('.js')) continue;
            const text = asset.source().toString();
            if (!/[\u0080-\uffff]/.test(text)) continue;
            const escaped = new sources.ReplaceSource(asset);
            for (const match of text.matchAll(/[\u0080-\uffff]/g)) {
              const at = /** @type {number} */ (match.index);
              escaped.replace(at, at, `\\u${match[0].charCodeAt(0).toString(16).padStart(4, '0')}`);
            }
            compilation.updateAsset(name, escaped);
          }
        },
      );
    });
  }
}

/**
 * Where the bundle of the project in `appDir` goes: dist/ and the project's folder (dist/apps/<app>,
 * which the Dockerfile copies from; dist/tools/ops).
 * @param {string} appDir
 */
function outputPath(appDir) {
  return join(ROOT, 'dist', relative(ROOT, appDir));
}

/**
 * @param {string} appDir the app's folder (`__dirname` of its webpack.config.js)
 * @param {{ proto?: boolean }} [options] `proto: false` leaves the .proto files out (the CLI serves no gRPC)
 * @returns {import('webpack').Configuration}
 */
function appWebpackConfig(appDir, { proto = true } = {}) {
  return {
    externals: [externals],
    // Nest's fallbacks for a package named by a variable (`import(name)`, taken only when no loader is
    // given) and the bundled packages' source maps that point at sources they do not publish.
    ignoreWarnings: [
      { module: /node_modules[\\/]@nestjs[\\/]/, message: /the request of a dependency is an expression/ },
      { message: /Failed to parse source map/ },
    ],
    output: {
      path: outputPath(appDir),
      clean: true,
      ...(process.env['NODE_ENV'] !== 'production' && {
        devtoolModuleFilenameTemplate: '[absolute-resource-path]',
      }),
    },
    plugins: [
      // Nest's `createRequire(import.meta.url)(name)` is resolved at build time like any require:
      // bundled or external as above. So @nestjs/terminus' require of @nestjs/swagger gets the bundled
      // one, not a second copy from node_modules. Where `name` is a variable (the gRPC transport's
      // proto loader), webpack can only offer what is listed here: the package Nest names by default.
      new ContextReplacementPlugin(/@nestjs[\\/]microservices[\\/](server|client)$/, '.', {
        '@grpc/proto-loader': '@grpc/proto-loader',
      }),
      // import.meta.dirname and .filename as where the bundle runs: webpack leaves them as they are,
      // which would make Node load the whole bundle as an ES module.
      new DefinePlugin({ 'import.meta.dirname': '__dirname', 'import.meta.filename': '__filename' }),
      // One file: Nest's lazy imports of bundled modules (e.g. @nestjs/microservices) would be chunks.
      new optimize.LimitChunkCountPlugin({ maxChunks: 1 }),
      new AsciiOnlyPlugin(),
      new NxAppWebpackPlugin({
        target: 'node',
        compiler: 'tsc',
        main: './src/main.ts',
        tsConfig: './tsconfig.app.json',
        assets: proto ? ['./src/assets', { glob: '**/*.proto', input: '../../proto', output: 'proto' }] : [],
        optimization: false,
        outputHashing: 'none',
        generatePackageJson: true,
        // Lines, not columns: `node --enable-source-maps` (the image, `npm start`) decodes the whole map
        // at start-up, and with the bundled packages a map of every column cost 200 ms and 25 MiB there.
        sourceMap: 'cheap-module-source-map',
        // Nx's own externals (every package) replaced by the function above.
        externalDependencies: 'none',
        mergeExternals: true,
      }),
    ],
  };
}

module.exports = { appWebpackConfig, outputPath };

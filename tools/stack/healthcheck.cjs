#!/usr/bin/env node
/**
 * Exits 0 when a hello-mesh endpoint reports healthy, 1 otherwise (used by docker compose
 * healthchecks and the stack's end-to-end test).
 *
 *   node healthcheck.cjs http://127.0.0.1:3000/health
 *   node healthcheck.cjs grpc 127.0.0.1:50051 [service]     grpc.health.v1.Health/Check == SERVING
 *   node healthcheck.cjs                                      the arguments in healthcheck.json beside it
 */
'use strict';

const http = require('node:http');
const path = require('node:path');
const fs = require('node:fs');

const TIMEOUT_MS = Number(process.env['HEALTHCHECK_TIMEOUT_MS'] || 3000);

/**
 * Resolves to null when healthy, else to what is wrong.
 * @param {string} url
 * @returns {Promise<string | null>}
 */
function checkHttp(url) {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: TIMEOUT_MS }, (res) => {
      res.resume();
      resolve(res.statusCode === 200 ? null : `HTTP ${res.statusCode}`);
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (e) => resolve(e.message));
  });
}

function findHealthProto() {
  const candidates = /** @type {string[]} */ (
    [
      process.env['HELLO_PROTO_DIR'] && path.join(process.env['HELLO_PROTO_DIR'], 'grpc/health/v1/health.proto'),
      path.join(__dirname, 'proto/grpc/health/v1/health.proto'),
      path.join(__dirname, '../../proto/grpc/health/v1/health.proto'),
      path.join(process.cwd(), 'proto/grpc/health/v1/health.proto'),
    ].filter(Boolean)
  );
  const found = candidates.find((p) => fs.existsSync(p));
  if (!found) throw new Error(`health.proto not found (looked in ${candidates.join(', ')})`);
  return found;
}

/**
 * @typedef {import('@grpc/grpc-js').ServiceError} ServiceError
 * @typedef {{
 *   Check(
 *     request: { service: string },
 *     options: { deadline: number },
 *     callback: (err: ServiceError | null, reply: { status: string }) => void,
 *   ): void,
 *   close(): void,
 * }} HealthClient
 * @typedef {new (address: string, credentials: import('@grpc/grpc-js').ChannelCredentials) => HealthClient} HealthClientConstructor
 */

/**
 * Resolves to null when `grpc.health.v1.Health/Check` answers SERVING, else to what is wrong.
 * @param {string} address
 * @param {string} [service]
 * @returns {Promise<string | null>}
 */
function checkGrpc(address, service = '') {
  const grpc = require('@grpc/grpc-js');
  const loader = require('@grpc/proto-loader');
  const def = loader.loadSync(findHealthProto(), { keepCase: true, enums: String });
  // A package loaded from a .proto at run time: its shape is the proto's, which grpc-js cannot know.
  const loaded = /** @type {{ grpc: { health: { v1: { Health: HealthClientConstructor } } } }} */ (
    /** @type {unknown} */ (grpc.loadPackageDefinition(def))
  );
  const { Health } = loaded.grpc.health.v1;
  const client = new Health(address, grpc.credentials.createInsecure());
  return new Promise((resolve) => {
    client.Check({ service }, { deadline: Date.now() + TIMEOUT_MS }, (err, reply) => {
      client.close();
      if (err) resolve(err.message);
      else resolve(reply.status === 'SERVING' ? null : `status ${reply.status}`);
    });
  });
}

// Without arguments: those written next to the script at image build (the app's default endpoint).
function defaultArgs() {
  const file = path.join(__dirname, 'healthcheck.json');
  if (!fs.existsSync(file)) throw new Error('usage: healthcheck.cjs <http-url> | grpc <host:port> [service]');
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

/**
 * @param {string[]} argv
 * @returns {Promise<number>}
 */
async function main(argv) {
  if (argv.length === 0) argv = defaultArgs();
  const problem = argv[0] === 'grpc' ? await checkGrpc(argv[1], argv[2]) : await checkHttp(argv[0]);
  if (problem) {
    process.stderr.write(`unhealthy: ${problem}\n`);
    return 1;
  }
  return 0;
}

module.exports = { checkHttp, checkGrpc };

if (require.main === module) main(process.argv.slice(2)).then((code) => process.exit(code));

// One RabbitMQ node for the whole Jest run (every project shares it; tests isolate themselves
// in vhosts of their own). With RABBITMQ_URL set, that broker is used and nothing is started.
const { startBroker } = require('@hello/infra/rabbitmq');
const { startPostgres } = require('@hello/infra/postgres');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { LOG_DIR } = require('./log-capture.cjs');

/**
 * What the set-up keeps for the teardown and for the set-up of the next project, on `globalThis`.
 * @typedef {{
 *   __HELLO_TEST_LOGS__?: boolean,
 *   __HELLO_TEST_BROKER__?: import('@hello/infra/rabbitmq').Broker,
 *   __HELLO_TEST_POSTGRES__?: Awaited<ReturnType<typeof startPostgres>>,
 * }} TestRunState
 */
const state = /** @type {TestRunState} */ (globalThis);

/**
 * Called once per Jest project that has specs to run, in one process.
 * @param {import('jest').GlobalConfig} _globalConfig
 * @param {import('jest').ProjectConfig} projectConfig
 */
module.exports = async function globalSetup(_globalConfig, projectConfig) {
  if (!state.__HELLO_TEST_LOGS__) {
    state.__HELLO_TEST_LOGS__ = true;
    fs.rmSync(LOG_DIR, { recursive: true, force: true });
    fs.mkdirSync(LOG_DIR, { recursive: true });
  }
  if (['stack', 'ops'].includes(projectConfig.displayName?.name ?? '')) buildAppsOnce();
  await startTestPostgres();
  if (process.env['RABBITMQ_URL'] || state.__HELLO_TEST_BROKER__) return;
  const broker = await startBroker({ name: `test-${process.pid}` });
  state.__HELLO_TEST_BROKER__ = broker;
  // Workers inherit the environment of the parent process.
  process.env['RABBITMQ_URL'] = broker.url;
  process.env['RABBITMQ_MANAGEMENT_URL'] = broker.managementUrl;
  // Where its data lives (the benchmark's smoke run measures the event log's disk use there).
  process.env['HELLO_RABBITMQ_DIR'] = broker.dir;
};

// The stack's specs run the built apps (dist/, as `npm start` and the benchmark do), and the CLI's
// specs the built CLI (tools/ops). Built once here, before any spec runs: two specs building at once
// would write dist/ under each other's feet. HELLO_SKIP_BUILD then tells `npm start`, the benchmark
// and the CLI's launcher in the specs that dist/ is current.
function buildAppsOnce() {
  if (process.env['HELLO_SKIP_BUILD'] === '1') return;
  const result = spawnSync(
    process.execPath,
    [
      require.resolve('nx/bin/nx'),
      'run-many',
      '-t',
      'build',
      '-p',
      'greeter,producer,consumer,event-handler,ops',
      '--outputStyle=static',
    ],
    {
      cwd: path.resolve(__dirname, '..', '..'),
      encoding: 'utf8',
      env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true' },
    },
  );
  if (result.status !== 0) throw new Error(`building the apps failed:\n${result.stdout}${result.stderr}`);
  process.env['HELLO_SKIP_BUILD'] = '1';
}

// One PostgreSQL server for the run too; a spec creates a database of its own on it
// (libs/testing createTestDatabase). With HELLO_TEST_DATABASE_URL set, that server is used.
async function startTestPostgres() {
  if (process.env['HELLO_TEST_DATABASE_URL'] || state.__HELLO_TEST_POSTGRES__) return;
  const server = await startPostgres({ name: `test-${process.pid}` });
  state.__HELLO_TEST_POSTGRES__ = server;
  process.env['HELLO_TEST_DATABASE_URL'] = server.url;
}

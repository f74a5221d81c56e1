// One RabbitMQ node for the whole Jest run (every project shares it; tests isolate themselves
// in vhosts of their own). With RABBITMQ_URL set, that broker is used and nothing is started.
const { startBroker } = require('../rabbitmq/broker.cjs');
const { startPostgres } = require('../postgres/postgres.cjs');
const fs = require('node:fs');
const { LOG_DIR } = require('./log-capture.cjs');

module.exports = async function globalSetup() {
  fs.rmSync(LOG_DIR, { recursive: true, force: true });
  fs.mkdirSync(LOG_DIR, { recursive: true });
  await startTestPostgres();
  if (process.env.RABBITMQ_URL || globalThis.__HELLO_TEST_BROKER__) return;
  const broker = await startBroker({ name: `test-${process.pid}` });
  globalThis.__HELLO_TEST_BROKER__ = broker;
  // Workers inherit the environment of the parent process.
  process.env.RABBITMQ_URL = broker.url;
  process.env.RABBITMQ_MANAGEMENT_URL = broker.managementUrl;
};

// One PostgreSQL server for the run too; a spec creates a database of its own on it
// (libs/testing createTestDatabase). With HELLO_TEST_DATABASE_URL set, that server is used.
async function startTestPostgres() {
  if (process.env.HELLO_TEST_DATABASE_URL || globalThis.__HELLO_TEST_POSTGRES__) return;
  const server = await startPostgres({ name: `test-${process.pid}` });
  globalThis.__HELLO_TEST_POSTGRES__ = server;
  process.env.HELLO_TEST_DATABASE_URL = server.url;
}

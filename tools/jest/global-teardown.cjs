const fs = require('node:fs');
const path = require('node:path');

const state = /** @type {import('./global-setup.cjs').TestRunState} */ (globalThis);

module.exports = async function globalTeardown() {
  const postgres = state.__HELLO_TEST_POSTGRES__;
  if (postgres) {
    state.__HELLO_TEST_POSTGRES__ = undefined;
    await postgres.stop();
    postgres.remove();
  }
  const broker = state.__HELLO_TEST_BROKER__;
  if (!broker) return;
  state.__HELLO_TEST_BROKER__ = undefined;
  await broker.stop();
  fs.rmSync(path.resolve(__dirname, '..', '..', '.local', 'rabbitmq', broker.name), { recursive: true, force: true });
};

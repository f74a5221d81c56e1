const fs = require('node:fs');
const path = require('node:path');

module.exports = async function globalTeardown() {
  const postgres = globalThis.__HELLO_TEST_POSTGRES__;
  if (postgres) {
    globalThis.__HELLO_TEST_POSTGRES__ = undefined;
    await postgres.stop();
    postgres.remove();
  }
  const broker = globalThis.__HELLO_TEST_BROKER__;
  if (!broker) return;
  globalThis.__HELLO_TEST_BROKER__ = undefined;
  await broker.stop();
  fs.rmSync(path.resolve(__dirname, '..', '..', '.local', 'rabbitmq', broker.name), { recursive: true, force: true });
};

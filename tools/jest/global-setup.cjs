// One RabbitMQ node for the whole Jest run (every project shares it; tests isolate themselves
// in vhosts of their own). With RABBITMQ_URL set, that broker is used and nothing is started.
const { startBroker } = require('../rabbitmq/broker.cjs');

module.exports = async function globalSetup() {
  if (process.env.RABBITMQ_URL || globalThis.__HELLO_TEST_BROKER__) return;
  const broker = await startBroker({ name: `test-${process.pid}` });
  globalThis.__HELLO_TEST_BROKER__ = broker;
  // Workers inherit the environment of the parent process.
  process.env.RABBITMQ_URL = broker.url;
  process.env.RABBITMQ_MANAGEMENT_URL = broker.managementUrl;
};

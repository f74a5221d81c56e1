const nxPreset = require('@nx/jest/preset').default;

// SWC keeps the suite fast and still emits the decorator metadata NestJS injection relies on.
const swcOptions = require('@hello/build/swc-options');

module.exports = {
  ...nxPreset,
  testEnvironment: 'node',
  transform: { '^.+\\.[tj]s$': ['@swc/jest', swcOptions] },
  moduleFileExtensions: ['ts', 'js'],
  // Starts a local RabbitMQ for the run unless RABBITMQ_URL names one (see tools/rabbitmq).
  setupFiles: [require.resolve('./tools/jest/telemetry-setup.cjs')],
  // Each spec file's app logs go to a file of its own, printed only when that spec fails.
  setupFilesAfterEnv: [require.resolve('./tools/jest/log-file-setup.cjs')],
  globalSetup: require.resolve('./tools/jest/global-setup.cjs'),
  globalTeardown: require.resolve('./tools/jest/global-teardown.cjs'),
  testTimeout: 30_000,
};

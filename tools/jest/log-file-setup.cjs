// Before each spec file: HELLO_TEST_LOG_FILE names its log file (see log-capture.cjs), which
// @hello/testing's testPlatformConfig() and spawnApp() write the apps' logs to.
const { logFileFor } = require('./log-capture.cjs');

process.env.HELLO_TEST_LOG_FILE = logFileFor(expect.getState().testPath);

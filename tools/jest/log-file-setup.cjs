// Before each spec file: HELLO_TEST_LOG_FILE names its log file (see log-capture.cjs), which
// @hello/testing's testPlatformConfig(), testLogEnv() and spawnApp() send the apps' logs to. What the
// spec's own process writes to stdout and stderr (Nest's console logger, in the specs that build an
// app or a provider in-process) goes to that file too, so the run shows test results only. Reporters
// keep the real streams: Jest's bind their writers when they load, the summary reporter likewise.
const fs = require('node:fs');
const { logFileFor } = require('./log-capture.cjs');

const TARGET = Symbol.for('hello.test-log-file');
const file = logFileFor(expect.getState().testPath);
process.env.HELLO_TEST_LOG_FILE = file;

for (const stream of [process.stdout, process.stderr]) {
  // Wrapped once per process (a worker runs spec after spec); each spec only moves the target.
  if (!(TARGET in stream)) {
    stream.write = function writeToLogFile(chunk, encoding, callback) {
      fs.appendFileSync(stream[TARGET], chunk, typeof encoding === 'string' ? encoding : undefined);
      const done = typeof encoding === 'function' ? encoding : callback;
      if (done) process.nextTick(done);
      return true;
    };
  }
  stream[TARGET] = file;
}

// Before each spec file: HELLO_TEST_LOG_FILE names its log file (see log-capture.cjs), which
// @hello/testing's testPlatformConfig(), testLogEnv() and spawnApp() send the apps' logs to. What the
// spec's own process writes to stdout and stderr (Nest's console logger, in the specs that build an
// app or a provider in-process) goes to that file too, so the run shows test results only. Reporters
// keep the real streams: Jest's bind their writers when they load, the summary reporter likewise.
const fs = require('node:fs');
const { logFileFor } = require('./log-capture.cjs');

const TARGET = Symbol.for('hello.test-log-file');
// Set while a spec file is being set up, which is when Jest runs this file.
const file = logFileFor(/** @type {string} */ (expect.getState().testPath));
process.env['HELLO_TEST_LOG_FILE'] = file;

for (const stream of [process.stdout, process.stderr]) {
  // The stream's log file, kept on the stream itself under TARGET.
  const targets = /** @type {Record<symbol, string>} */ (/** @type {unknown} */ (stream));
  // Wrapped once per process (a worker runs spec after spec); each spec only moves the target.
  if (!(TARGET in stream)) {
    /**
     * @param {string | Uint8Array} chunk
     * @param {BufferEncoding | ((error?: Error | null) => void)} [encoding]
     * @param {(error?: Error | null) => void} [callback]
     */
    const writeToLogFile = function writeToLogFile(chunk, encoding, callback) {
      fs.appendFileSync(targets[TARGET], chunk, typeof encoding === 'string' ? encoding : undefined);
      const done = typeof encoding === 'function' ? encoding : callback;
      if (done) process.nextTick(done);
      return true;
    };
    stream.write = /** @type {typeof stream.write} */ (writeToLogFile);
  }
  targets[TARGET] = file;
}

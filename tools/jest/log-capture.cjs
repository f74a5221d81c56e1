// Where the apps a spec file starts write their logs: one file per spec under .local/test-logs, printed
// by the summary reporter only when that spec fails, so a green run shows test results and nothing else.
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');
const LOG_DIR = path.join(ROOT, '.local', 'test-logs');

/**
 * The log file of the spec at `testPath`.
 * @param {string} testPath
 */
function logFileFor(testPath) {
  return path.join(LOG_DIR, `${path.relative(ROOT, testPath).replace(/[\\/]/g, '__')}.log`);
}

module.exports = { LOG_DIR, logFileFor };

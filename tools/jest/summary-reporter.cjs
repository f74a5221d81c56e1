// Ends a bare Jest run with one plain line, `tests: N passed, N failed, N skipped`, that CI systems read;
// under `npm test` it writes per-project figures (wall and test time, suites, tests) to $HELLO_TEST_REPORT
// instead, for the runner's closing table and line. For a failed spec file it prints the log its apps
// wrote (see log-capture.cjs).
const fs = require('node:fs');
const path = require('node:path');
const { logFileFor } = require('./log-capture.cjs');

const ROOT = path.resolve(__dirname, '..', '..');
const MAX_LOG_BYTES = 20_000;
// Bound now: a spec run in this process sends what it writes to stdout to its log (log-file-setup.cjs).
const print = process.stdout.write.bind(process.stdout);

/**
 * The types Jest hands a reporter, as its sequencer's API (a listed dependency) names them.
 * @typedef {Parameters<import('@jest/test-sequencer').default['cacheResults']>[1]} AggregatedResult
 * @typedef {AggregatedResult['testResults'][number]} TestResult
 */

class SummaryReporter {
  /**
   * @param {unknown} _test
   * @param {TestResult} result
   */
  onTestResult(_test, result) {
    if (result.numFailingTests === 0 && !result.testExecError) return;
    const file = logFileFor(result.testFilePath);
    if (!fs.existsSync(file)) return;
    const size = fs.statSync(file).size;
    const fd = fs.openSync(file, 'r');
    const buffer = Buffer.alloc(Math.min(size, MAX_LOG_BYTES));
    fs.readSync(fd, buffer, 0, buffer.length, size - buffer.length);
    fs.closeSync(fd);
    const from = size > buffer.length ? `last ${buffer.length} of ${size} bytes of ` : '';
    print(
      `\n── ${from}the app log of ${path.relative(process.cwd(), result.testFilePath)} (${file}) ──\n${buffer.toString('utf8')}\n── end of app log ──\n`,
    );
  }

  /**
   * @param {unknown} _contexts
   * @param {AggregatedResult} results
   */
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    // Under `npm test` the runner prints the closing line itself, after its table (test.cjs).
    if (process.env['HELLO_TEST_REPORT']) writeReport(process.env['HELLO_TEST_REPORT'], results, { failed, skipped });
    else print(`\ntests: ${results.numPassedTests} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}

/**
 * @param {string} file
 * @param {AggregatedResult} results
 * @param {{ failed: number, skipped: number }} counts
 */
function writeReport(file, results, { failed, skipped }) {
  /** @type {Map<string, { name: string, suites: number, tests: number, failed: number, testMs: number, start: number, end: number }>} */
  const projects = new Map();
  for (const suite of results.testResults) {
    const name = suite.displayName?.name ?? 'default';
    const p = projects.get(name) ?? { name, suites: 0, tests: 0, failed: 0, testMs: 0, start: Infinity, end: 0 };
    p.suites += 1;
    p.tests += suite.numPassingTests + suite.numFailingTests + suite.numPendingTests + suite.numTodoTests;
    p.failed += suite.numFailingTests + (suite.testExecError ? 1 : 0);
    p.testMs += suite.perfStats.end - suite.perfStats.start;
    p.start = Math.min(p.start, suite.perfStats.start);
    p.end = Math.max(p.end, suite.perfStats.end);
    projects.set(name, p);
  }
  const list = [...projects.values()]
    .map(({ start, end, ...p }) => ({ ...p, wallMs: end - start }))
    .sort((a, b) => b.testMs - a.testMs);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  // Seconds per spec file, for the sequencer's durations.json (see sequencer.cjs).
  const durations = Object.fromEntries(
    results.testResults.map((suite) => [
      path.relative(ROOT, suite.testFilePath),
      Math.round((suite.perfStats.end - suite.perfStats.start) / 100) / 10,
    ]),
  );
  fs.writeFileSync(path.join(ROOT, '.local', 'test-durations.json'), `${JSON.stringify(durations, null, 2)}\n`);
  fs.writeFileSync(
    file,
    JSON.stringify({ totals: { passed: results.numPassedTests, failed, skipped }, projects: list }, null, 2),
  );
}

module.exports = SummaryReporter;

// Runs the longest spec files first, so that with two workers the run does not end on one long file
// started last. Durations come from tools/jest/durations.json (seconds per file, written from a run's
// .local/test-durations.json by `node tools/jest/sequencer.cjs --update`); a file not listed there
// counts by its size, as Jest's own sequencer does without a cache.
const fs = require('node:fs');
const path = require('node:path');
const Sequencer = require('@jest/test-sequencer').default;

const ROOT = path.resolve(__dirname, '..', '..');
const DURATIONS = path.join(__dirname, 'durations.json');
const MEASURED = path.join(ROOT, '.local', 'test-durations.json');

/**
 * @param {string} file
 * @returns {Record<string, number>}
 */
function readDurations(file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return {};
  }
}

class LongestFirstSequencer extends Sequencer {
  /**
   * @override
   * @param {Parameters<Sequencer['sort']>[0]} tests
   */
  sort(tests) {
    const durations = readDurations(DURATIONS);
    // An unknown file: one second per 2 kB, about what the unit specs here take.
    /** @param {(typeof tests)[number]} test */
    const weight = (test) => durations[path.relative(ROOT, test.path)] ?? fs.statSync(test.path).size / 2_000;
    return [...tests].sort((a, b) => weight(b) - weight(a));
  }
}

if (require.main === module && process.argv[2] === '--update') {
  const measured = readDurations(MEASURED);
  const sorted = Object.fromEntries(Object.entries(measured).sort(([a], [b]) => a.localeCompare(b)));
  fs.writeFileSync(DURATIONS, `${JSON.stringify(sorted, null, 2)}\n`);
  process.stdout.write(`${Object.keys(sorted).length} durations written to ${path.relative(ROOT, DURATIONS)}\n`);
}

module.exports = LongestFirstSequencer;

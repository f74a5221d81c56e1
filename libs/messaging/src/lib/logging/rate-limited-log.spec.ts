import { RateLimitedLog } from './rate-limited-log';

describe('RateLimitedLog', () => {
  let now: number;
  let lines: string[];
  let log: RateLimitedLog;

  beforeEach(() => {
    now = 0;
    lines = [];
    const write = (line: unknown) => lines.push(String(line));
    log = new RateLimitedLog({ warn: write, error: write }, 10_000, () => now);
  });

  it('should write the first line of a key and hold back the same key within the window', () => {
    expect(log.warn('publish failed (channel closed)', 'publish of a failed (channel closed)')).toBe(true);
    expect(log.warn('publish failed (channel closed)', 'publish of b failed (channel closed)')).toBe(false);
    now = 9_999;
    log.warn('publish failed (channel closed)', 'publish of c failed (channel closed)');
    expect(lines).toEqual(['publish of a failed (channel closed)']);
  });

  it('should say how many were held back on the next line written for the key', () => {
    log.warn('k', 'first');
    log.warn('k', 'second');
    log.warn('k', 'third');
    now = 12_000;
    log.warn('k', 'fourth');
    expect(lines).toEqual(['first', 'fourth (and 2 more like it in the last 12 s)']);
  });

  it('should keep keys apart', () => {
    log.warn('a');
    log.error('b');
    log.warn('a');
    expect(lines).toEqual(['a', 'b']);
  });
});

import { ConsoleLogger, LogLevel } from '@nestjs/common';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import {
  BufferedConsoleLogger,
  LOG_FLUSH_INTERVAL_MS,
} from './buffered-console.logger';

describe('BufferedConsoleLogger', () => {
  let stdout: jest.SpyInstance;
  let stderr: jest.SpyInstance;

  beforeEach(() => {
    jest.useFakeTimers();
    stdout = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  });

  afterEach(() => {
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  const written = (spy: jest.SpyInstance) =>
    spy.mock.calls.map(([chunk]) => String(chunk)).join('');

  it.each([false, true])(
    "should write the lines Nest's ConsoleLogger writes (colors %s)",
    (colors) => {
      const levels: LogLevel[] = ['log', 'warn', 'debug', 'verbose', 'fatal'];
      const logAll = (logger: ConsoleLogger) => {
        logger.setLogLevels(levels);
        logger.log(' [x] Received Hello World!');
        logger.warn('careful');
        logger.debug({ n: 1 });
        logger.verbose('details');
        logger.fatal('the end');
      };
      // Both in the same fake-timer second, so that the timestamps agree.
      logAll(new ConsoleLogger('HandleMessageHandler', { colors }));
      const expected = written(stdout);
      stdout.mockClear();

      logAll(new BufferedConsoleLogger('HandleMessageHandler', { colors }));
      jest.advanceTimersByTime(LOG_FLUSH_INTERVAL_MS);

      expect(written(stdout)).toBe(expected);
      expect(expected).toContain('[HandleMessageHandler] ');
      expect(expected).toContain(' [x] Received Hello World!');
    },
  );

  it('should write the lines logged within the flush interval in one write', () => {
    const logger = new BufferedConsoleLogger('Test', { colors: false });
    for (let i = 0; i < 100; i++) logger.log(` [x] Received ${i}`);
    jest.advanceTimersByTime(LOG_FLUSH_INTERVAL_MS - 1);
    expect(stdout).not.toHaveBeenCalled();

    jest.advanceTimersByTime(1);
    expect(stdout).toHaveBeenCalledTimes(1);
    const lines = written(stdout).trimEnd().split('\n');
    expect(lines).toHaveLength(100);
    expect(lines[99]).toMatch(/\[Test\] {2}\[x\] Received 99$/);
  });

  it('should not wait once 64 Ki characters are waiting', () => {
    const logger = new BufferedConsoleLogger('Test', { colors: false });
    for (let i = 0; i < 1000; i++) logger.log(`${'x'.repeat(100)} ${i}`);
    expect(stdout).toHaveBeenCalled();
    expect(written(stdout).length).toBeGreaterThanOrEqual(64 * 1024);
  });

  it('should write waiting lines before an error line, and the error at once', () => {
    const logger = new BufferedConsoleLogger('Test', { colors: false });
    const order: string[] = [];
    stdout.mockImplementation((chunk: unknown) => {
      order.push(`stdout:${String(chunk).trim().split(' ').pop()}`);
      return true;
    });
    stderr.mockImplementation((chunk: unknown) => {
      order.push(`stderr:${String(chunk).trim().split(' ').pop()}`);
      return true;
    });
    logger.log('first');
    logger.error('second');
    expect(order).toEqual(['stdout:first', 'stderr:second']);
  });

  it('should write what waits when the process exits', () => {
    const register = path.resolve(
      __dirname,
      '../../../../libs/testing/src/lib/ts-register.cjs',
    );
    const script = `
      const { BufferedConsoleLogger } = require(${JSON.stringify(path.join(__dirname, 'buffered-console.logger.ts'))});
      new BufferedConsoleLogger('Test', { colors: false }).log(' [x] Received last words');
      process.exit(0);
    `;
    const child = spawnSync(process.execPath, ['-r', register, '-e', script], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(child.stderr).toBe('');
    expect(child.stdout).toMatch(/\[Test\] {2}\[x\] Received last words\n$/);
  });
});

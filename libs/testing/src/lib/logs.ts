/**
 * The platform settings of an app a spec runs in its own process: JSON logs at info, appended to the
 * spec's log file (HELLO_TEST_LOG_FILE, set by the Jest set-up), which the run prints only when that
 * spec fails. Without the variable (a spec run by other means), logs go to stdout.
 */
export function testPlatformConfig(): { logLevel: 'info'; logFormat: 'json'; logFile?: string } {
  const logFile = process.env['HELLO_TEST_LOG_FILE'];
  return logFile ? { logLevel: 'info', logFormat: 'json', logFile } : { logLevel: 'info', logFormat: 'json' };
}

/** The same as environment variables, for an app whose config a spec reads from an env object. */
export function testLogEnv(): Record<string, string> {
  const logFile = process.env['HELLO_TEST_LOG_FILE'];
  return logFile ? { LOG_FILE: logFile } : {};
}

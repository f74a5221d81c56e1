import { appendFileSync } from 'node:fs';
import * as path from 'node:path';
import { startProcess } from '@hello/infra/process';

const ROOT = path.resolve(__dirname, '..', '..', '..', '..');
const REGISTER = require.resolve('@hello/build/ts-register');

export interface SpawnedApp {
  readonly pid: number;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves with the output once it matches `pattern`; throws when the process exits first or on timeout. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves when the process has exited. */
  readonly exited: Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
  }>;
  kill(signal?: NodeJS.Signals): void;
  /** SIGKILL unless already exited; for cleanup. */
  stop(): Promise<void>;
}

/**
 * Runs an app's TypeScript entry point (e.g. `apps/consumer/src/main.ts`, relative to the repository
 * root) in a separate Node process, compiled on the fly by `@hello/build/ts-register` (@swc/core, as in Jest),
 * so that tests can kill it for real (SIGKILL, SIGTERM). Starts in about a second; no build needed.
 * What it prints is kept for `output()` and appended to the spec's log file (HELLO_TEST_LOG_FILE),
 * which the run prints when the spec fails.
 */
export function spawnApp(entry: string, env: Record<string, string | undefined> = {}): SpawnedApp {
  const logFile = process.env['HELLO_TEST_LOG_FILE'];
  const started = startProcess(entry, process.execPath, ['-r', REGISTER, path.join(ROOT, entry)], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', ...env },
    onOutput: logFile ? (chunk) => appendFileSync(logFile, chunk) : undefined,
  });
  return {
    pid: started.pid,
    output: started.output,
    exited: started.exited,
    kill: started.kill,
    stop: started.stop,
    waitForOutput: started.waitForOutput,
  };
}

import { ChildProcess, spawn } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..', '..', '..');
const REGISTER = path.join(__dirname, 'ts-register.cjs');

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
 * root) in a separate Node process, compiled on the fly by `ts-register.cjs` (@swc/core, as in Jest),
 * so that tests can kill it for real (SIGKILL, SIGTERM). Starts in about a second; no build needed.
 * What it prints is kept for `output()` and appended to the spec's log file (HELLO_TEST_LOG_FILE),
 * which the run prints when the spec fails.
 */
export function spawnApp(entry: string, env: Record<string, string | undefined> = {}): SpawnedApp {
  const child: ChildProcess = spawn(process.execPath, ['-r', REGISTER, path.join(ROOT, entry)], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const listeners = new Set<() => void>();
  const logFile = process.env['HELLO_TEST_LOG_FILE'];
  const append = (chunk: Buffer) => {
    output += chunk.toString('utf8');
    if (logFile) appendFileSync(logFile, chunk);
    for (const listener of listeners) listener();
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const exited = new Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
  }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  let hasExited = false;
  void exited.then(() => {
    hasExited = true;
    for (const listener of listeners) listener();
  });

  return {
    pid: child.pid ?? -1,
    output: () => output,
    exited,
    kill: (signal = 'SIGTERM') => {
      if (!hasExited) child.kill(signal);
    },
    stop: async () => {
      if (!hasExited) child.kill('SIGKILL');
      await exited;
    },
    waitForOutput: (pattern, timeoutMs = 60_000) =>
      new Promise<string>((resolve, reject) => {
        const check = () => {
          if (pattern.test(output)) {
            done();
            resolve(output);
          } else if (hasExited) {
            done();
            reject(new Error(`${entry} exited before printing ${pattern}; output:\n${output}`));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`${entry} did not print ${pattern} within ${timeoutMs} ms; output:\n${output}`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        check();
      }),
  };
}

import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..', '..');
const LAUNCHER = resolve(__dirname, '..', 'run.cjs');

export interface OpsRun {
  readonly child: ReturnType<typeof spawn>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stdout(): string;
  stderr(): string;
  /** stdout's JSON lines, parsed. */
  lines(): Record<string, unknown>[];
}

/**
 * The operator CLI as `npm run ops -- <args>` runs it (the launcher, then the built bundle): a process
 * of its own, `env` added to this one's, its output collected.
 */
export function runOps(args: string[], env: NodeJS.ProcessEnv = {}): OpsRun {
  return collect(
    spawn(process.execPath, [LAUNCHER, ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
}

/** `npm run -s <script> -- <args>` from the project's root: the package scripts themselves. */
export function runScript(script: string, args: string[], env: NodeJS.ProcessEnv = {}): OpsRun {
  return collect(
    spawn('npm', ['run', '-s', script, '--', ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
}

function collect(child: ReturnType<typeof spawn>): OpsRun {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.once('exit', (code, signal) => done({ code, signal })),
  );
  return {
    child,
    exited,
    stdout: () => stdout,
    stderr: () => stderr,
    lines: () =>
      stdout
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

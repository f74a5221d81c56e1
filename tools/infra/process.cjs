// One way to start a process and know when it is ready, for the test library's spawnApp, the stack
// launcher (`npm start`) and the benchmark: its output kept (and handed on), its exit as a promise,
// readiness as a line it prints or a check that comes true.
'use strict';

const { spawn } = require('node:child_process');

/**
 * @typedef {{ code: number | null, signal: NodeJS.Signals | null }} Exit
 * @typedef {object} StartedProcess
 * @property {import('node:child_process').ChildProcessByStdio<null, import('node:stream').Readable, import('node:stream').Readable>} child
 * @property {number} pid
 * @property {() => string} output everything it wrote to stdout and stderr so far (the last `keepOutput` characters)
 * @property {Promise<Exit>} exited resolves when it has exited
 * @property {(pattern: RegExp, timeoutMs?: number) => Promise<string>} waitForOutput resolves with the output once it matches; rejects when the process exits first or on timeout
 * @property {(check: () => Promise<boolean> | boolean, timeoutMs?: number) => Promise<void>} waitUntil resolves once `check()` is true (asked every 100 ms); rejects when the process exits first or on timeout
 * @property {(signal?: NodeJS.Signals) => void} kill sends `signal` (SIGTERM) unless it has exited
 * @property {() => Promise<void>} stop SIGKILL unless it has exited, then waits for the exit
 * @property {() => void} dropOutput from now on, reads its output and drops it (a long run that prints per operation, measured for CPU)
 */

/**
 * Starts `command` with `args`. With `cpus` (a taskset list) it runs on those cores only: taskset
 * execs the command, so the pid is the command's and its affinity is set before it starts threads.
 * @param {string} label how errors name it
 * @param {string} command
 * @param {string[]} args
 * @param {{ cwd?: string, env?: NodeJS.ProcessEnv, cpus?: string, onOutput?: (chunk: Buffer) => void, keepOutput?: number }} [options]
 * @returns {StartedProcess}
 */
function startProcess(label, command, args, options = {}) {
  const { cwd, env, cpus, onOutput, keepOutput = Infinity } = options;
  const [file, argv] = cpus ? ['taskset', ['-c', cpus, command, ...args]] : [command, args];
  const child = spawn(file, argv, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  /** @type {Set<() => void>} */
  const listeners = new Set();
  /** @param {Buffer} chunk */
  const append = (chunk) => {
    output += chunk.toString('utf8');
    if (output.length > keepOutput * 2) output = keepOutput > 0 ? output.slice(-keepOutput) : '';
    onOutput?.(chunk);
    for (const listener of listeners) listener();
  };
  child.stdout.on('data', append);
  child.stderr.on('data', append);
  let hasExited = false;
  /** @type {Promise<Exit>} */
  const exited = new Promise((resolve) => {
    // A process that could not be started (no such command) still closes, with a negative code;
    // the reason goes into its output, where every error message about it shows it.
    child.once('error', (error) => {
      output += `${error.message}\n`;
    });
    child.once('close', (code, signal) => {
      hasExited = true;
      resolve({ code, signal });
      for (const listener of listeners) listener();
    });
  });
  const tail = () => output.slice(-4000);

  /**
   * Resolves once `isDone()` is true, re-asked at each output, at the exit and at `pollMs`.
   * @param {() => Promise<boolean> | boolean} isDone
   * @param {{ doing: string, to: string }} what e.g. `printing /ready/` and `print /ready/`
   * @param {number} timeoutMs
   * @param {number | undefined} pollMs
   * @returns {Promise<void>}
   */
  const waitFor = (isDone, what, timeoutMs, pollMs) =>
    new Promise((resolve, reject) => {
      let settled = false;
      let asking = false;
      // Asked again while an answer is pending (output or the exit meanwhile): ask once more after it.
      let askAgain = false;
      /** @param {Error | undefined} error */
      const finish = (error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (poll) clearInterval(poll);
        listeners.delete(check);
        if (error) reject(error);
        else resolve();
      };
      const check = () => {
        if (settled) return;
        if (asking) {
          askAgain = true;
          return;
        }
        asking = true;
        askAgain = false;
        Promise.resolve()
          .then(isDone)
          .catch(() => false)
          .then((done) => {
            asking = false;
            if (done) finish(undefined);
            else if (hasExited) finish(new Error(`${label} exited before ${what.doing}; output:\n${tail()}`));
            else if (askAgain) check();
          });
      };
      const timer = setTimeout(
        () => finish(new Error(`${label} did not ${what.to} within ${timeoutMs} ms; output:\n${tail()}`)),
        timeoutMs,
      );
      const poll = pollMs ? setInterval(check, pollMs) : undefined;
      listeners.add(check);
      check();
    });

  return {
    child,
    pid: child.pid ?? -1,
    output: () => output,
    exited,
    waitForOutput: async (pattern, timeoutMs = 60_000) => {
      await waitFor(
        () => pattern.test(output),
        { doing: `printing ${pattern}`, to: `print ${pattern}` },
        timeoutMs,
        undefined,
      );
      return output;
    },
    waitUntil: (check, timeoutMs = 60_000) =>
      waitFor(check, { doing: 'becoming ready', to: 'become ready' }, timeoutMs, 100),
    kill: (signal = 'SIGTERM') => {
      if (!hasExited) child.kill(signal);
    },
    stop: async () => {
      if (!hasExited) child.kill('SIGKILL');
      await exited;
    },
    dropOutput: () => {
      child.stdout.off('data', append);
      child.stderr.off('data', append);
      child.stdout.resume();
      child.stderr.resume();
    },
  };
}

module.exports = { startProcess };

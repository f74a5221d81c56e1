import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

// The benchmark's rounds: the spread it prints, the pinning it applies to real processes, and the
// comparison of two runs' headline figures.

const ROOT = resolve(__dirname, '..', '..', '..');
const rounds = require(join(ROOT, 'tools/bench/rounds.cjs'));
const { headlines, compareTable } = require(join(ROOT, 'tools/bench/tables.cjs'));

const allowedCpus = (pid: number) =>
  /Cpus_allowed_list:\s*(\S+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];

describe('the benchmark rounds', () => {
  it('should give min, median, max and the spread in % of the median', () => {
    expect(rounds.spread([110, 100, 90, 105, 95])).toEqual({ min: 90, median: 100, max: 110, spreadPct: 20, n: 5 });
    expect(rounds.spread([NaN, 42])).toEqual({ min: 42, median: 42, max: 42, spreadPct: 0, n: 1 });
  });

  it('should pin every thread of a process to the cores it is given', async () => {
    const plan = rounds.pinningPlan();
    // This machine kind has 2 cores and util-linux: the plan must pin there.
    expect(plan).toEqual({ enabled: true, measured: '1', rest: '0', every: '0-1' });
    const child = spawn(process.execPath, ['-e', 'setInterval(() => undefined, 1000)'], { stdio: 'ignore' });
    try {
      await new Promise((done) => child.once('spawn', done));
      expect(allowedCpus(child.pid as number)).toBe('0-1');
      expect(rounds.pin(child.pid, plan.measured)).toBe(true);
      expect(allowedCpus(child.pid as number)).toBe('1');
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('should record the load a round starts with, and mark it noisy when the cores stay busy', async () => {
    const busy = spawn(process.execPath, ['-e', 'const end = Date.now() + 4000; while (Date.now() < end);'], {
      stdio: 'ignore',
    });
    try {
      const logged: string[] = [];
      const start = await rounds.waitForQuiet('test', {
        maxBusy: 0.01,
        timeoutMs: 0,
        log: (m: string) => logged.push(m),
      });
      expect(start.noisy).toBe(true);
      expect(start.busyPct).toBeGreaterThan(1);
      expect(logged.join('\n')).toMatch(/test: still \d+ % busy/);
    } finally {
      busy.kill('SIGKILL');
    }
  });

  it('should compare the headline figures of two runs in % of the earlier one', () => {
    const run = (cpu: number, rps: number) => ({
      grpc: { sides: { greeter: 'greeter' }, rows: [{ inflight: 10, greeter: { cpuUsPerRequest: cpu, rps } }] },
    });
    const before = headlines(run(200, 5000));
    expect(before).toEqual({ 'grpc greeter @10 CPU µs/req': 200, 'grpc greeter @10 req/s': 5000 });
    const text = compareTable(before, headlines(run(210, 4500)));
    expect(text).toContain('| grpc greeter @10 CPU µs/req | 200.0 | 210.0 | +5.0 % |');
    expect(text).toContain('| grpc greeter @10 req/s | 5000.0 | 4500.0 | -10.0 % |');
    expect(text).toContain('widest difference: 10.0 %');
  });
});

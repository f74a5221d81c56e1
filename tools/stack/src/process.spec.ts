import { readFileSync } from 'node:fs';
import { startProcess } from '@hello/infra/process';

// The one process helper of the local infrastructure (spawnApp, `npm start` and the benchmark start
// their processes with it), against real child processes.

/** A node process running `script`. */
function node(label: string, script: string, options: Parameters<typeof startProcess>[3] = {}) {
  return startProcess(label, process.execPath, ['-e', script], options);
}

describe('startProcess', () => {
  it('should resolve once a line matches, keep the output and report the exit', async () => {
    const started = node('printer', "console.log('warming up'); setTimeout(() => console.error('ready on 42'), 200);");
    await expect(started.waitForOutput(/ready on (\d+)/, 5_000)).resolves.toContain('warming up');
    expect(started.output()).toBe('warming up\nready on 42\n');
    await expect(started.exited).resolves.toEqual({ code: 0, signal: null });
  });

  it('should see a line printed just before the process exits', async () => {
    const started = node('last words', "process.stdout.write('done\\n'); process.exit(3);");
    await expect(started.waitForOutput(/done/, 5_000)).resolves.toBe('done\n');
    await expect(started.exited).resolves.toEqual({ code: 3, signal: null });
  });

  it('should name the process and show its output when it exits before printing what was awaited', async () => {
    const started = node('quitter', "console.log('cannot start: port in use'); process.exit(1);");
    await expect(started.waitForOutput(/listening/, 5_000)).rejects.toThrow(
      /quitter exited before printing \/listening\/; output:\ncannot start: port in use/,
    );
  });

  it('should say why a command could not be started', async () => {
    const started = startProcess('missing', '/nonexistent/hello-mesh-command', []);
    await expect(started.waitForOutput(/ready/, 5_000)).rejects.toThrow(
      /missing exited before printing \/ready\/; output:\nspawn \/nonexistent\/hello-mesh-command ENOENT/,
    );
    expect((await started.exited).code).not.toBe(0);
  });

  it('should time out naming what it waited for, and stop() kills the process', async () => {
    const started = node('sleeper', 'setInterval(() => undefined, 1000);');
    await expect(started.waitForOutput(/never/, 300)).rejects.toThrow(/sleeper did not print \/never\/ within 300 ms/);
    await started.stop();
    await expect(started.exited).resolves.toEqual({ code: null, signal: 'SIGKILL' });
  });

  it('should wait until a check comes true, asking again while the process runs', async () => {
    const started = node('slow', 'setInterval(() => undefined, 1000);');
    let asked = 0;
    await started.waitUntil(() => ++asked === 4, 5_000);
    expect(asked).toBe(4);
    started.kill('SIGTERM');
    await expect(started.exited).resolves.toEqual({ code: null, signal: 'SIGTERM' });
  });

  it('should hand every chunk on, keep only the tail it is told to, and drop the output on request', async () => {
    const chunks: string[] = [];
    const started = node(
      'chatty',
      "process.stdout.write('a'.repeat(100) + 'END\\n'); setTimeout(() => { console.log('late'); process.exit(0); }, 300);",
      { keepOutput: 10, onOutput: (chunk) => chunks.push(chunk.toString()) },
    );
    await started.waitForOutput(/END/, 5_000);
    expect(started.output().length).toBeLessThanOrEqual(20);
    started.dropOutput();
    await started.exited;
    expect(started.output()).not.toContain('late');
    expect(chunks.join('')).toContain('END');
  });

  it('should keep nothing when told to keep no output, and still hand it on', async () => {
    const chunks: string[] = [];
    const started = node('passing through', "console.log('x'.repeat(1000));", {
      keepOutput: 0,
      onOutput: (chunk) => chunks.push(chunk.toString()),
    });
    await started.exited;
    expect(started.output()).toBe('');
    expect(chunks.join('')).toBe(`${'x'.repeat(1000)}\n`);
  });

  it('should run on the cores it is given (taskset), with the pid of the process itself', async () => {
    const started = node('pinned', "console.log('pid', process.pid); setInterval(() => undefined, 1000);", {
      cpus: '0',
    });
    await started.waitForOutput(/pid \d+/, 5_000);
    expect(started.output()).toContain(`pid ${started.pid}`);
    expect(readFileSync(`/proc/${started.pid}/status`, 'utf8')).toMatch(/^Cpus_allowed_list:\s+0$/m);
    await started.stop();
  });
});

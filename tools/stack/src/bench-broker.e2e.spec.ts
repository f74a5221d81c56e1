import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

// The benchmark starts a RabbitMQ node of its own when RABBITMQ_URL is not set; it must stop it
// whatever fails after it, or the node keeps running with its ports and data folder.

const ROOT = resolve(__dirname, '..', '..', '..');

/** The command lines of the running beam.smp processes (RabbitMQ nodes). */
function runningNodes(): string[] {
  const lines: string[] = [];
  for (const pid of readdirSync('/proc').filter((entry) => /^\d+$/.test(entry))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (cmdline.includes('beam.smp')) lines.push(cmdline.split('\0').join(' '));
    } catch {
      // The process ended while being read.
    }
  }
  return lines;
}

describe('the benchmark and the broker it starts', () => {
  it('should stop its broker when the set-up after starting it fails', async () => {
    // The set-up fails right after the broker is up: choosing which cores to pin throws.
    const script = `
      const rounds = require(${JSON.stringify(join(ROOT, 'tools/bench/rounds.cjs'))});
      rounds.pinningPlan = () => { throw new Error('pinning failed on purpose'); };
      require(${JSON.stringify(join(ROOT, 'tools/bench/run.cjs'))})
        .run({ smoke: false, only: ['grpc'], rounds: 1, build: false })
        .then(() => process.exit(0), (error) => { process.stderr.write(error.message + '\\n'); process.exit(3); });
    `;
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
    delete env['RABBITMQ_URL'];
    delete env['RABBITMQ_MANAGEMENT_URL'];
    const child = spawn(process.execPath, ['-e', script], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const code = await new Promise<number | null>((done) => child.once('exit', done));

    expect({ code, failedOnPurpose: output.includes('pinning failed on purpose') }).toEqual({
      code: 3,
      failedOnPurpose: true,
    });
    const brokerDir = join(ROOT, '.local', 'rabbitmq', `bench-${child.pid}`);
    expect(runningNodes().filter((cmdline) => cmdline.includes(brokerDir))).toEqual([]);
    expect(existsSync(brokerDir)).toBe(false);
  }, 120_000);
});

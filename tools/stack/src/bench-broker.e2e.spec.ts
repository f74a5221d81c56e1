import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { epmdNames } from '@hello/infra/rabbitmq';

// The benchmark starts a RabbitMQ node of its own when RABBITMQ_URL is not set; it must stop it
// whatever fails after it, or the node keeps running with its ports and data folder.

const ROOT = resolve(__dirname, '..', '..', '..');

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
    // The benchmark's node is `bench-<its pid>`, registered with the epmd the launcher uses.
    const name = `bench-${child.pid}`;
    expect(Object.keys(epmdNames(Number(process.env['ERL_EPMD_PORT'] || 4369)))).not.toContain(name);
    expect(existsSync(join(ROOT, '.local', 'rabbitmq', name))).toBe(false);
  }, 120_000);
});

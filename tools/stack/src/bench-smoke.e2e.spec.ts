import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

// `npm run bench -- --smoke`: every section with tiny counts, so the benchmark keeps working.
// Its figures are not judged here (timing assertions flake); only that each one was measured.

const ROOT = resolve(__dirname, '..', '..', '..');

describe('the benchmark in smoke mode', () => {
  it('should measure every section and write the figures', async () => {
    const child = spawn(process.execPath, [join(ROOT, 'tools/bench/run.cjs'), '--smoke'], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const code = await new Promise<number | null>((done) => child.once('exit', done));
    expect({ code, tail: code === 0 ? '' : output.slice(-3000) }).toEqual({ code: 0, tail: '' });

    const file = /All figures: (\S+)/.exec(output)?.[1];
    expect(file).toBeDefined();
    const results = JSON.parse(readFileSync(join(ROOT, file as string), 'utf8'));
    rmSync(join(ROOT, file as string));

    expect(results.grpc.rows.map((r: { inflight: number }) => r.inflight)).toEqual([1, 10, 100]);
    for (const row of results.grpc.rows) {
      expect(row.greeter.rps).toBeGreaterThan(0);
      expect(row.raw.rps).toBeGreaterThan(0);
      expect(row.rawEvents.rps).toBeGreaterThan(0);
      expect(row.ratio).toBeGreaterThan(0);
      expect(row.ratioToRawEvents).toBeGreaterThan(0);
    }
    expect(results.grpc.rawEventsPublished.confirmed).toBeGreaterThan(0);
    expect(results.queue.project.messagesPerSecond).toBeGreaterThan(0);
    expect(results.queue.raw.messagesPerSecond).toBeGreaterThan(0);
    expect(results.queue.project.offeredP99Ms).toBeGreaterThan(0);
    expect(results.e2e.p99Ms).toBeGreaterThan(0);
    expect(results.memory.afterAllMiB.consumer).toBeGreaterThan(0);
    expect(results.memory.afterAllMiB.eventHandler).toBeGreaterThan(0);
    expect(output).toMatch(/gRPC unary SayHello/);
    expect(output).toMatch(/Queue pipeline/);
    for (const side of ['sqlite', 'postgres', 'postgresTwoReplicas']) {
      expect(results.projections.sides[side].eventsPerSecond).toBeGreaterThan(0);
    }
    expect(output).toMatch(/event-handler through the real queue/);
    expect(results.rpc.rows.map((r: { inflight: number }) => r.inflight)).toEqual([1, 10, 100]);
    for (const row of results.rpc.rows) {
      for (const side of ['amqp', 'grpc', 'raw']) expect(row[side].rps).toBeGreaterThan(0);
      expect(row.amqpToGrpc).toBeGreaterThan(0);
      expect(row.amqpToRaw).toBeGreaterThan(0);
    }
    expect(output).toMatch(/RPC SayHello: AMQP request\/reply/);
  }, 300_000);
});

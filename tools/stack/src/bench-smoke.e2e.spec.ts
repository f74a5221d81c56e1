import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

// `npm run bench -- --smoke`: every section with tiny counts, so the benchmark keeps working, and
// every peer (tools/bench/peers) started and measured once. Its figures are not judged here (timing
// assertions flake); only that each one was measured.

const ROOT = resolve(__dirname, '..', '..', '..');

describe('the benchmark in smoke mode', () => {
  it('should measure every section and every side, and write the figures and charts', async () => {
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

    const grpcSides = ['greeter', 'greeterTraced', 'greeterSdkOff', 'rawEvents', 'nestEvents', 'raw', 'nest'];
    expect(Object.keys(results.grpc.sides)).toEqual(grpcSides);
    // One load level in smoke mode (the full run has 1, 10 and 100 in flight).
    expect(results.grpc.rows.map((r: { inflight: number }) => r.inflight)).toEqual([10]);
    for (const row of results.grpc.rows) {
      for (const side of grpcSides) {
        expect({ side, rps: row[side].rps > 0, cpu: row[side].cpuUsPerRequest > 0 }).toEqual({
          side,
          rps: true,
          cpu: true,
        });
      }
      for (const side of grpcSides.slice(1)) expect(row.ratios[side]).toBeGreaterThan(0);
      // Every round records the machine's load, and the headline figure its spread over the rounds.
      expect(row.machine).toHaveLength(1);
      expect(row.machine[0].load1).toBeGreaterThanOrEqual(0);
      expect(row.greeter.cpuSpread).toMatchObject({ n: 1, spreadPct: 0 });
    }
    // Both event-publishing baselines had every event confirmed (run.cjs fails otherwise).
    expect(results.grpc.eventsPublished.rawEvents.confirmed).toBeGreaterThan(0);
    expect(results.grpc.eventsPublished.nestEvents.confirmed).toBeGreaterThan(0);

    expect(Object.keys(results.queue.sides)).toEqual(['consumer', 'raw', 'nestRmq', 'golevelup']);
    for (const side of [results.queue.project, results.queue.raw, results.queue.nestRmq, results.queue.golevelup]) {
      expect(side.messagesPerSecond).toBeGreaterThan(0);
      expect(side.offeredP99Ms).toBeGreaterThan(0);
      expect(side.consumerCpuUsPerMessage).toBeGreaterThan(0);
    }
    expect(results.queue.ratios.golevelup).toBeGreaterThan(0);
    expect(results.queue.machine).toHaveLength(1);
    expect(results.queue.project.consumerCpuSpread.n).toBe(1);
    expect(results.machine.pinning).toBe('not pinned (smoke run)');
    expect(results.e2e.p99Ms).toBeGreaterThan(0);
    expect(results.memory.afterAllMiB.consumer).toBeGreaterThan(0);
    expect(results.memory.afterAllMiB.eventHandler).toBeGreaterThan(0);

    const footprint = results.footprint.apps;
    expect(Object.keys(footprint)).toEqual([
      'greeter',
      'producer',
      'consumer',
      'eventHandler',
      'nestGrpc',
      'nestRmq',
      'golevelup',
      'rawGrpc',
      'rawAmqp',
    ]);
    for (const [name, app] of Object.entries<{ readyMs: number; idleRssMiB: number }>(footprint)) {
      expect({ name, ready: app.readyMs > 0, rss: app.idleRssMiB > 0 }).toEqual({ name, ready: true, rss: true });
    }
    expect(footprint.greeter.afterMessagesRssMiB).toBeGreaterThan(0);
    expect(footprint.producer.afterMessagesRssMiB).toBeGreaterThan(0);

    expect(output).toMatch(/gRPC unary SayHello/);
    expect(output).toMatch(/Queue pipeline/);
    for (const side of ['sqlite', 'postgres', 'postgresTwoReplicas']) {
      expect(results.projections.sides[side].eventsPerSecond).toBeGreaterThan(0);
    }
    expect(output).toMatch(/event-handler through the real queue/);
    for (const side of ['sqlite', 'postgres']) {
      const replay = results.replay.sides[side];
      expect({ side, live: replay.liveEventsPerSecond > 0, rebuild: replay.rebuildEntriesPerSecond > 0 }).toEqual({
        side,
        live: true,
        rebuild: true,
      });
      // The bench's own broker: the stream's folder is found and measured.
      expect(replay.streamMiBPerMillion).toBeGreaterThan(0);
    }
    expect(output).toMatch(/rebuilding every projection from the event log/);
    expect(results.rpc.rows.map((r: { inflight: number }) => r.inflight)).toEqual([10]);
    for (const row of results.rpc.rows) {
      for (const side of ['amqp', 'grpc', 'raw']) expect(row[side].rps).toBeGreaterThan(0);
      expect(row.amqpToGrpc).toBeGreaterThan(0);
      expect(row.amqpToRaw).toBeGreaterThan(0);
    }
    expect(output).toMatch(/RPC SayHello: AMQP request\/reply/);
    expect(output).toMatch(/Start-up and footprint/);
    const charts = /Charts: (.+)/.exec(output)?.[1].trim().split(' ') ?? [];
    expect(charts.map((chart) => chart.replace(/^.*-/, ''))).toEqual(['grpc.svg', 'queue.svg']);
    for (const chart of charts) {
      const svg = readFileSync(join(ROOT, chart), 'utf8');
      rmSync(join(ROOT, chart));
      expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
      // One bar per side and load level, with its value as a tooltip.
      expect(svg.match(/<rect x="\d[^>]*><title>/g)?.length).toBeGreaterThanOrEqual(
        chart.endsWith('grpc.svg') ? 14 : 12,
      );
    }
  }, 900_000);
});

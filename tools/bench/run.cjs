#!/usr/bin/env node
/**
 * `npm run bench`: the apps against the raw libraries doing the same work and against the peers a
 * team would otherwise pick (tools/bench/peers/), side by side in one run, on a real broker (a local
 * RabbitMQ, or RABBITMQ_URL + RABBITMQ_MANAGEMENT_URL). Prints one table per section and writes every
 * figure to .local/bench/bench-<time>.json, and an SVG chart per section next to it
 * (bench-<time>-<section>.svg).
 *
 *   npm run bench                         everything (about 20 minutes on 2 cores)
 *   npm run bench -- --smoke              tiny counts, to check the benchmark still works
 *   npm run bench -- --only grpc,queue    some sections (grpc, queue, e2e, memory, footprint, projections, rpc)
 *   npm run bench -- --rounds 7           rotating rounds per section (default 5; min, median and max printed)
 *   npm run bench -- --memory-messages N  messages through the memory and footprint sections (default 100000)
 *   npm run bench -- --compare <file>     also print how far each headline figure is from an earlier run's
 *                                         (.local/bench/bench-*.json)
 *
 * Before each round the bench waits, and says so, until the machine is quiet, and records its load; the
 * measured process runs on a core of its own, the load generator and the bench on the others, the broker
 * on any (taskset; HELLO_BENCH_PIN=0 turns it off). See rounds.cjs.
 */
'use strict';

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');
const SECTIONS = ['grpc', 'queue', 'e2e', 'memory', 'footprint', 'projections', 'rpc'];

function parseArgs(argv) {
  const options = { smoke: false, only: SECTIONS, rounds: 5, build: true, compare: undefined };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--smoke') options.smoke = true;
    else if (arg === '--no-build') options.build = false;
    else if (arg === '--only') options.only = argv[++i].split(',');
    else if (arg === '--rounds') options.rounds = Number(argv[++i]);
    else if (arg === '--memory-messages') options.memoryMessages = Number(argv[++i]);
    else if (arg === '--compare') options.compare = argv[++i];
    else throw new Error(`unknown option ${arg}`);
  }
  const unknown = options.only.filter((s) => !SECTIONS.includes(s));
  if (unknown.length) throw new Error(`unknown section(s) ${unknown.join(', ')}; choose from ${SECTIONS.join(', ')}`);
  if (options.smoke && !argv.includes('--rounds')) options.rounds = 1;
  return options;
}

function build() {
  // Set when dist/ is known to be current (the test suite builds once before its specs run).
  if (process.env.HELLO_SKIP_BUILD === '1') return;
  const result = spawnSync(
    'npx',
    ['nx', 'run-many', '-t', 'build', '-p', 'greeter,producer,consumer,event-handler', '--outputStyle=static'],
    {
      cwd: ROOT,
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true' },
    },
  );
  if (result.status !== 0) throw new Error('the build failed');
}

const fmt = (n, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
/** A figure over the rounds: `median (min–max)`, or the median alone after one round. */
const fmtSpread = (s, digits = 0) =>
  !s
    ? 'n/a'
    : s.n > 1
      ? `${fmt(s.median, digits)} (${fmt(s.min, digits)}–${fmt(s.max, digits)})`
      : fmt(s.median, digits);
/** One line on the rounds' conditions: the widest spread of the headline figure, and the load seen. */
function roundsLine(spreads, machine) {
  const widest = Math.max(...spreads.filter((s) => s && s.n > 1).map((s) => s.spreadPct));
  const loads = machine.map((m) => m.load1);
  const noisy = machine.filter((m) => m.noisy).length;
  return (
    `rounds: widest spread of the headline figure ${Number.isFinite(widest) ? `${fmt(widest, 1)} %` : 'n/a (one round)'}; ` +
    `load average ${fmt(Math.min(...loads), 2)}–${fmt(Math.max(...loads), 2)} at the rounds' start` +
    (noisy ? `; ${noisy} of ${machine.length} rounds started on a busy machine` : '')
  );
}

function table(results) {
  const lines = [];
  const row = (...cells) => lines.push(`| ${cells.join(' | ')} |`);
  const lat = (p50, p99, digits = 2) => `${fmt(p50, digits)} / ${fmt(p99, digits)}`;
  if (results.grpc) {
    const g = results.grpc;
    lines.push(`gRPC unary SayHello (${g.loadGenerator}, median of ${g.rounds} rotating runs of ${g.secondsPerRun} s)`);
    row('in flight', 'side', 'req/s', 'p50 / p99 ms', 'CPU µs/req median (min–max)', 'greeter / side');
    row('---', '---', '---', '---', '---', '---');
    for (const r of g.rows) {
      for (const [key, label] of Object.entries(g.sides)) {
        const s = r[key];
        row(
          r.inflight,
          label,
          fmt(s.rps),
          lat(s.p50Ms, s.p99Ms),
          s.cpuSpread ? fmtSpread(s.cpuSpread) : fmt(s.cpuUsPerRequest),
          key === 'greeter' ? '' : `${fmt(r.ratios[key], 2)}×`,
        );
      }
    }
    lines.push(
      roundsLine(
        g.rows.flatMap((r) => Object.keys(g.sides).map((key) => r[key].cpuSpread)),
        g.rows.flatMap((r) => r.machine ?? []),
      ),
      '',
    );
  }
  if (results.queue) {
    const q = results.queue;
    lines.push(
      `Queue pipeline (quorum queue, persistent, confirms on both hops, manual acks, prefetch ${q.prefetch}; median of ${q.rounds} rotating rounds)`,
    );
    row(
      'side',
      'msg/s at saturation',
      `e2e p50 / p99 ms at ${q.project.offeredRate} msg/s`,
      'e2e p50 / p99 ms, one at a time',
      'CPU µs/msg consumer median (min–max) · publisher · broker',
      'project / side',
    );
    row('---', '---', '---', '---', '---', '---');
    for (const [key, label] of Object.entries(q.sides)) {
      const s = key === 'consumer' ? q.project : q[key];
      row(
        label,
        fmt(s.messagesPerSecond),
        lat(s.offeredP50Ms, s.offeredP99Ms, 1),
        lat(s.oneAtATimeP50Ms, s.oneAtATimeP99Ms),
        `${s.consumerCpuSpread ? fmtSpread(s.consumerCpuSpread) : fmt(s.consumerCpuUsPerMessage)} · ${fmt(s.benchProcessCpuUsPerMessage)} · ${fmt(s.brokerCpuUsPerMessage)}`,
        key === 'consumer' ? '' : `${fmt(q.ratios[key], 2)}×`,
      );
    }
    lines.push(
      roundsLine(
        Object.keys(q.sides).map((key) => (key === 'consumer' ? q.project : q[key]).consumerCpuSpread),
        q.machine ?? [],
      ),
      '',
    );
  }
  if (results.e2e) {
    const e = results.e2e;
    lines.push(
      `End to end: SayHello until GET /greetings/:name shows it (${e.calls} calls): p50 ${fmt(e.p50Ms, 1)} ms, p99 ${fmt(e.p99Ms, 1)} ms`,
      '',
    );
  }
  if (results.memory) {
    const m = results.memory;
    row(
      'RSS MiB',
      `after ${m.warmupMessages} messages`,
      `after ${m.atHalfMiB.messages}`,
      `after ${m.messages}`,
      `growth over the second half`,
    );
    row('---', '---', '---', '---', '---');
    for (const [name, key] of [
      ['consumer', 'consumer'],
      ['event-handler', 'eventHandler'],
    ]) {
      row(
        name,
        fmt(m.afterWarmupMiB[key], 1),
        fmt(m.atHalfMiB[key], 1),
        fmt(m.afterAllMiB[key], 1),
        `${fmt(m.afterAllMiB[key] - m.atHalfMiB[key], 1)} MiB`,
      );
    }
    lines.push(
      `series (messages: consumer / event-handler MiB): ${m.series.map((s) => `${s.messages}: ${fmt(s.consumer)}/${fmt(s.eventHandler)}`).join(', ')}`,
      '',
    );
  }
  if (results.projections) {
    const p = results.projections;
    lines.push(
      `event-handler through the real queue: a backlog of ${p.events} events (half greetings, half message.handled), prefetch ${p.prefetch}; median of ${p.rounds} alternating rounds`,
    );
    row('database', 'events/s', 'rounds');
    row('---', '---', '---');
    for (const [name, label] of [
      ['sqlite', 'SQLite (file, WAL, synchronous=FULL)'],
      ['postgres', 'PostgreSQL, 1 replica'],
      ['postgresTwoReplicas', 'PostgreSQL, 2 replicas'],
    ]) {
      const s = p.sides[name];
      row(label, fmt(s.eventsPerSecond), s.rounds.map((r) => fmt(r)).join(', '));
    }
    lines.push('');
  }
  if (results.rpc) lines.push(require('./rpc.cjs').rpcTable(results.rpc, fmt));
  if (results.footprint) {
    const f = results.footprint;
    const after = {
      greeter: f.apps.greeter.afterMessagesRssMiB,
      producer: f.apps.producer.afterMessagesRssMiB,
      consumer: results.memory?.afterAllMiB.consumer,
      eventHandler: results.memory?.afterAllMiB.eventHandler,
    };
    lines.push(
      `Start-up and footprint (median of ${f.rounds} starts; RSS after ${f.messages} messages: greeter and producer here, consumer and event-handler from the memory section)`,
    );
    row('process', 'start → ready ms median (min–max)', 'RSS idle MiB', `RSS after ${f.messages} messages MiB`);
    row('---', '---', '---', '---');
    for (const [key, a] of Object.entries(f.apps))
      row(
        a.label,
        a.readySpread ? fmtSpread(a.readySpread) : fmt(a.readyMs),
        fmt(a.idleRssMiB, 1),
        key in after ? fmt(after[key], 1) : '',
      );
    const series = (a) => a.rssSeries.map((s) => `${s.messages}: ${fmt(s.rssMiB)}`).join(', ');
    lines.push(
      `RSS series (messages: MiB): greeter ${series(f.apps.greeter)}; producer ${series(f.apps.producer)}`,
      '',
    );
  }
  return lines.join('\n');
}

async function run(options) {
  // The project's TypeScript libs (@hello/messaging, @hello/testing), compiled on the fly.
  require('../../libs/testing/src/lib/ts-register.cjs');
  const { startBroker } = require('../rabbitmq/broker.cjs');

  if (options.build) build();
  let broker;
  if (!process.env.RABBITMQ_URL) {
    broker = await startBroker({ name: `bench-${process.pid}` });
    process.env.RABBITMQ_URL = broker.url;
    process.env.RABBITMQ_MANAGEMENT_URL = broker.managementUrl;
  }
  if (!process.env.RABBITMQ_MANAGEMENT_URL) {
    throw new Error(
      'set RABBITMQ_MANAGEMENT_URL too (the benchmark makes a vhost per side through the management API)',
    );
  }
  const { createTestVhost } = require('@hello/testing');
  const rounds = require('./rounds.cjs');
  // A smoke run measures nothing worth pinning for, and runs beside other tests.
  const pinning = options.smoke ? { enabled: false, reason: 'smoke run' } : rounds.pinningPlan();
  // The broker is left to both cores: pinned beside the load generator on 2 cores, it starves and
  // the consumers then take their messages one at a time, which changes what they cost per message.
  if (pinning.enabled) rounds.pin(process.pid, pinning.rest);
  process.stderr.write(`[bench] ${rounds.describePinning(pinning)}\n`);
  const common = {
    pinning,
    smoke: options.smoke,
    rounds: options.rounds,
    rabbitmqUrl: process.env.RABBITMQ_URL,
    managementUrl: process.env.RABBITMQ_MANAGEMENT_URL,
    createVhost: createTestVhost,
  };
  const results = {
    startedAt: new Date().toISOString(),
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model,
      memoryGiB: Math.round(os.totalmem() / 2 ** 30),
      node: process.version,
      pinning: rounds.describePinning(pinning),
    },
    smoke: options.smoke,
  };
  try {
    if (options.only.includes('grpc')) results.grpc = await require('./grpc.cjs').benchGrpc(common);
    if (options.only.includes('queue')) results.queue = await require('./queue.cjs').benchQueue(common);
    if (options.only.includes('e2e')) results.e2e = await require('./flow.cjs').benchEndToEnd(common);
    if (options.only.includes('projections'))
      results.projections = await require('./projections.cjs').benchProjections(common);
    if (options.only.includes('rpc')) results.rpc = await require('./rpc.cjs').benchRpc(common);
    if (options.only.includes('memory'))
      results.memory = await require('./flow.cjs').benchMemory({ ...common, total: options.memoryMessages });
    if (options.only.includes('footprint')) {
      results.footprint = await require('./footprint.cjs').benchFootprint({
        ...common,
        messages: options.memoryMessages,
      });
    }
  } finally {
    if (broker) {
      await broker.stop();
      fs.rmSync(path.join(ROOT, '.local', 'rabbitmq', broker.name), { recursive: true, force: true });
    }
  }
  const dir = path.join(ROOT, '.local', 'bench');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `bench-${results.startedAt.replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(file, JSON.stringify(results, null, 2));
  const charts = Object.entries(require('./chart.cjs').sectionCharts(results)).map(([section, svg]) => {
    const chart = file.replace(/\.json$/, `-${section}.svg`);
    fs.writeFileSync(chart, svg);
    return path.relative(ROOT, chart);
  });
  process.stdout.write(`\n${table(results)}\nAll figures: ${path.relative(ROOT, file)}\nCharts: ${charts.join(' ')}\n`);
  if (options.compare) {
    process.stdout.write(
      compareTable(headlines(JSON.parse(fs.readFileSync(options.compare, 'utf8'))), headlines(results)),
    );
  }
  return results;
}

/** The headline figures of a run, by name: CPU per operation, throughput, start-up and idle memory. */
function headlines(results) {
  const figures = {};
  for (const r of results.grpc?.rows ?? []) {
    for (const side of Object.keys(results.grpc.sides)) {
      figures[`grpc ${side} @${r.inflight} CPU µs/req`] = r[side].cpuUsPerRequest;
      figures[`grpc ${side} @${r.inflight} req/s`] = r[side].rps;
    }
  }
  if (results.queue) {
    for (const side of Object.keys(results.queue.sides)) {
      const s = side === 'consumer' ? results.queue.project : results.queue[side];
      figures[`queue ${side} CPU µs/msg`] = s.consumerCpuUsPerMessage;
      figures[`queue ${side} msg/s`] = s.messagesPerSecond;
    }
  }
  for (const [key, a] of Object.entries(results.footprint?.apps ?? {})) {
    figures[`footprint ${key} ready ms`] = a.readyMs;
    figures[`footprint ${key} idle RSS MiB`] = a.idleRssMiB;
  }
  return figures;
}

/** Each headline figure of both runs and how far apart they are (in % of the earlier one). */
function compareTable(before, after) {
  const lines = [
    '',
    'Against the earlier run',
    '| figure | earlier | this run | difference |',
    '| --- | --- | --- | --- |',
  ];
  let widest = 0;
  for (const [name, was] of Object.entries(before)) {
    const now = after[name];
    if (!Number.isFinite(was) || !Number.isFinite(now)) continue;
    const diff = ((now - was) / was) * 100;
    widest = Math.max(widest, Math.abs(diff));
    lines.push(`| ${name} | ${fmt(was, 1)} | ${fmt(now, 1)} | ${diff >= 0 ? '+' : ''}${fmt(diff, 1)} % |`);
  }
  lines.push(`widest difference: ${fmt(widest, 1)} %`, '');
  return `${lines.join('\n')}\n`;
}

module.exports = { run, parseArgs, table, headlines, compareTable };

if (require.main === module) {
  run(parseArgs(process.argv.slice(2))).then(
    () => process.exit(0),
    (error) => {
      process.stderr.write(`bench failed: ${error.stack || error.message}\n`);
      process.exit(1);
    },
  );
}

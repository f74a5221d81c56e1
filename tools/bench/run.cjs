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
 *   npm run bench -- --only grpc,queue    some sections (grpc, queue, e2e, memory, footprint, projections, replay, rpc)
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

const { table, headlines, compareTable } = require('./tables.cjs');

const ROOT = path.resolve(__dirname, '..', '..');
const SECTIONS = ['grpc', 'queue', 'e2e', 'memory', 'footprint', 'projections', 'replay', 'rpc'];

/**
 * @typedef {{ smoke: boolean, only: string[], rounds: number, build: boolean, compare?: string, memoryMessages?: number }} Options
 * @param {string[]} argv
 * @returns {Options}
 */
function parseArgs(argv) {
  /** @type {Options} */
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
  if (process.env['HELLO_SKIP_BUILD'] === '1') return;
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

/**
 * What every section is given.
 * @typedef {{
 *   pinning: ReturnType<typeof import('./rounds.cjs').pinningPlan>,
 *   smoke: boolean,
 *   rounds: number,
 *   rabbitmqUrl: string,
 *   managementUrl: string,
 *   createVhost: typeof import('@hello/testing').createTestVhost,
 *   brokerDir: string | undefined,
 * }} Common
 */

/**
 * Every figure of a run, as written to .local/bench/bench-<time>.json.
 * @typedef {{
 *   startedAt: string,
 *   machine: { cpus: number, cpuModel: string | undefined, memoryGiB: number, node: string, pinning: string },
 *   smoke: boolean,
 *   grpc?: Awaited<ReturnType<typeof import('./grpc.cjs').benchGrpc>>,
 *   queue?: Awaited<ReturnType<typeof import('./queue.cjs').benchQueue>>,
 *   e2e?: Awaited<ReturnType<typeof import('./flow.cjs').benchEndToEnd>>,
 *   projections?: Awaited<ReturnType<typeof import('./projections.cjs').benchProjections>>,
 *   replay?: Awaited<ReturnType<typeof import('./replay.cjs').benchReplay>>,
 *   rpc?: Awaited<ReturnType<typeof import('./rpc.cjs').benchRpc>>,
 *   memory?: Awaited<ReturnType<typeof import('./flow.cjs').benchMemory>>,
 *   footprint?: Awaited<ReturnType<typeof import('./footprint.cjs').benchFootprint>>,
 * }} Results
 */

/** @param {Options} options */
async function run(options) {
  // The project's TypeScript libs (@hello/messaging, @hello/testing), compiled on the fly.
  require('@hello/build/ts-register');
  const { startBroker } = require('@hello/infra/rabbitmq');

  if (options.build) build();
  /** @type {import('@hello/infra/rabbitmq').Broker | undefined} */
  let broker;
  if (!process.env['RABBITMQ_URL']) {
    broker = await startBroker({ name: `bench-${process.pid}` });
    process.env['RABBITMQ_URL'] = broker.url;
    process.env['RABBITMQ_MANAGEMENT_URL'] = broker.managementUrl;
  }
  /** @type {Results} */
  let results;
  // Stopped in `finally` whatever fails from here on: a broker left running holds its ports and data.
  try {
    if (!process.env['RABBITMQ_MANAGEMENT_URL']) {
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
    // …and the processes it starts on every core, unless a section places them (the measured side).
    if (pinning.enabled) require('./lib.cjs').placeChildren(pinning.every);
    process.stderr.write(`[bench] ${rounds.describePinning(pinning)}\n`);
    /** @type {Common} */
    const common = {
      pinning,
      smoke: options.smoke,
      rounds: options.rounds,
      // Set above: the given broker's or the one started here.
      rabbitmqUrl: /** @type {string} */ (process.env['RABBITMQ_URL']),
      managementUrl: process.env['RABBITMQ_MANAGEMENT_URL'],
      createVhost: createTestVhost,
      /** The broker's data folder, for the event log's disk use: its own, or HELLO_RABBITMQ_DIR with a given broker. */
      brokerDir: broker?.dir ?? process.env['HELLO_RABBITMQ_DIR'],
    };
    results = {
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
    if (options.only.includes('grpc')) results.grpc = await require('./grpc.cjs').benchGrpc(common);
    if (options.only.includes('queue')) results.queue = await require('./queue.cjs').benchQueue(common);
    if (options.only.includes('e2e')) results.e2e = await require('./flow.cjs').benchEndToEnd(common);
    if (options.only.includes('projections'))
      results.projections = await require('./projections.cjs').benchProjections(common);
    if (options.only.includes('replay')) results.replay = await require('./replay.cjs').benchReplay(common);
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

module.exports = { run, parseArgs };

if (require.main === module) {
  run(parseArgs(process.argv.slice(2))).then(
    () => process.exit(0),
    (error) => {
      process.stderr.write(`bench failed: ${error.stack || error.message}\n`);
      process.exit(1);
    },
  );
}

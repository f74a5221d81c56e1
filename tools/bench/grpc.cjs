// gRPC unary SayHello: the greeter app (its real build, CQRS bus, validation, everything it runs
// in production) against four other sides with the same proto and reply: a bare grpc-js server
// (reply only); a grpc-js server that also publishes each greeting.greeted event with raw amqplib on
// a confirm channel (the greeter's work without the framework layers); and the peer a team would
// otherwise write, NestJS's stock Transport.GRPC, with and without the same event emitted per call
// through Nest's ClientRMQ (peers/nest-grpc.ts). Every event publisher sends to the hello.events
// exchange of the same broker, with no queue bound in this section: the broker routes and confirms
// each event but stores nothing. Load comes from h2load (native, OS package nghttp2-client) in its
// own process: one HTTP/2 connection, a closed loop of N streams in flight, a framed protobuf
// HelloRequest body.
//
// HELLO_CPU_PROF / HELLO_ALLOC_PROF / HELLO_HEAP_PROF=<dir>: the greeter and the raw grpc-js + amqplib server
// run under a V8 profiler (see lib.cjs profileArgs).
'use strict';
const { spawnSync, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const http = require('node:http');
const path = require('node:path');
const grpc = require('@grpc/grpc-js');
const loader = require('@grpc/proto-loader');
const {
  ROOT,
  freePort,
  cpuSeconds,
  percentile,
  median,
  peerArgs,
  profileArgs,
  rawArgs,
  startProcess,
  stopProcess,
} = require('./lib.cjs');
const { appNodeArgs } = require('../stack/apps.cjs');
const { pin, spread, waitForQuiet } = require('./rounds.cjs');
const { declareEventLog } = require('./pipeline.cjs');

const PROTO = path.join(ROOT, 'proto', 'helloworld.proto');

/** The sides, in table order: the greeter first, then what it is compared with. */
const SIDES = {
  greeter: 'greeter',
  greeterTraced: 'greeter, tracing 100 % exported (OTLP/HTTP)',
  greeterSdkOff: 'greeter, OTEL_SDK_DISABLED=true',
  rawEvents: 'raw grpc-js + amqplib event',
  nestEvents: 'Nest gRPC + ClientRMQ event',
  raw: 'raw grpc-js, reply only',
  nest: 'Nest gRPC, reply only',
};

/**
 * @typedef {keyof typeof SIDES} Side
 * @typedef {'rawEvents' | 'nestEvents'} EventSide
 * @typedef {import('./lib.cjs').StartedProcess} StartedProcess
 * @typedef {{ rps: number, requests: number, p50: number, p99: number, cpuUsPerRequest: number }} Sample
 * @typedef {{ rps: number, p50Ms: number, p99Ms: number, cpuUsPerRequest: number,
 *   cpuSpread: ReturnType<typeof spread>, rpsSpread: ReturnType<typeof spread> }} SideSummary
 * @typedef {{ inflight: number, samples: Record<Side, Sample[]>, machine: Awaited<ReturnType<typeof waitForQuiet>>[],
 *   ratios: Partial<Record<Side, number>>, ratio: number | undefined, ratioToRawEvents: number | undefined }
 *   & Record<Side, SideSummary>} Row
 * @typedef {{ SayHello(request: { name: string }, options: { deadline: number },
 *   callback: (error: Error | null, reply: { message: string }) => void): void, close(): void }} GreeterClient
 * @typedef {{ helloworld: { Greeter: new (address: string, credentials: import('@grpc/grpc-js').ChannelCredentials) => GreeterClient } }} HelloworldPackage
 */

function ensureH2load() {
  if (spawnSync('sh', ['-c', 'command -v h2load'], { stdio: 'ignore' }).status === 0) return;
  const isRoot = process.getuid && process.getuid() === 0;
  if (!isRoot) throw new Error('h2load is missing: install the OS package nghttp2-client');
  process.stderr.write('[bench] installing nghttp2-client (h2load)…\n');
  execFileSync('sh', ['-c', 'apt-get update -qq && apt-get install -y -qq nghttp2-client'], { stdio: 'inherit' });
}

/**
 * A gRPC length-prefixed message holding HelloRequest{name}.
 * @param {string} name
 */
function framedHelloRequest(name) {
  const text = Buffer.from(name, 'utf8');
  const proto = Buffer.concat([Buffer.from([0x0a, text.length]), text]);
  const header = Buffer.alloc(5);
  header.writeUInt32BE(proto.length, 1);
  return Buffer.concat([header, proto]);
}

/**
 * One real call through grpc-js, so a run never measures a server that answers wrongly.
 * @param {string} address
 */
async function checkReply(address) {
  const definition = loader.loadSync(PROTO, { keepCase: true });
  // Loaded from the .proto at run time: its shape is the proto's, which grpc-js cannot know.
  const { Greeter } = /** @type {HelloworldPackage} */ (/** @type {unknown} */ (grpc.loadPackageDefinition(definition)))
    .helloworld;
  const client = new Greeter(address, grpc.credentials.createInsecure());
  try {
    /** @type {{ message: string }} */
    const reply = await new Promise((resolve, reject) =>
      client.SayHello({ name: 'bench' }, { deadline: Date.now() + 5000 }, (e, r) => (e ? reject(e) : resolve(r))),
    );
    if (reply.message !== 'Hello, bench!') throw new Error(`unexpected reply ${JSON.stringify(reply)}`);
  } finally {
    client.close();
  }
}

/**
 * @typedef {{ address: string, inflight: number, seconds: number, bodyFile: string, logFile: string, cpus: string | undefined }} LoadOptions
 * @param {LoadOptions} options
 */
function runH2load({ address, inflight, seconds, bodyFile, logFile, cpus }) {
  const args = [
    '-c',
    '1',
    '-m',
    String(inflight),
    '-D',
    String(seconds),
    '--warm-up-time',
    '1',
    '-H',
    'content-type: application/grpc',
    '-H',
    'te: trailers',
    '-d',
    bodyFile,
    `--log-file=${logFile}`,
    `http://${address}/helloworld.Greeter/SayHello`,
  ];
  // On the cores of the rest (see rounds.cjs pinningPlan), away from the measured server.
  const result = cpus
    ? spawnSync('taskset', ['-c', cpus, 'h2load', ...args], { encoding: 'utf8' })
    : spawnSync('h2load', args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`h2load failed: ${result.stderr || result.stdout}`);
  const out = result.stdout;
  const rps = Number(/finished in [\d.]+s, ([\d.]+) req\/s/.exec(out)?.[1]);
  const done = /requests: (\d+) total, \d+ started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored/.exec(out);
  if (!done || Number(done[4]) > 0 || Number(done[5]) > 0) throw new Error(`h2load saw failures:\n${out}`);
  const latencies = fs
    .readFileSync(logFile, 'utf8')
    .trim()
    .split('\n')
    .map((line) => Number(line.split('\t')[2]) / 1000)
    .sort((a, b) => a - b);
  return { rps, requests: Number(done[3]), p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

/**
 * @param {StartedProcess} server
 * @param {LoadOptions} options
 * @returns {Promise<Sample>}
 */
async function measure(server, options) {
  const before = cpuSeconds(server.pid);
  const result = runH2load(options);
  const cpu = cpuSeconds(server.pid) - before;
  // CPU seconds spread over the requests of the measured window plus the warm-up second.
  return { ...result, cpuUsPerRequest: (cpu / (result.requests * ((options.seconds + 1) / options.seconds))) * 1e6 };
}

/**
 * @param {import('./run.cjs').Common} options
 */
async function benchGrpc({ rabbitmqUrl, smoke, rounds, pinning }) {
  ensureH2load();
  // The smoke run proves each side works at one load level; the full run measures three.
  const levels = smoke ? [10] : [1, 10, 100];
  const seconds = smoke ? 1 : 5;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hello-bench-grpc-'));
  const bodyFile = path.join(tmp, 'hello-request.bin');
  fs.writeFileSync(bodyFile, framedHelloRequest('world'));

  const env = { ...process.env, NODE_ENV: 'production', RABBITMQ_URL: rabbitmqUrl };
  const sideNames = /** @type {Side[]} */ (Object.keys(SIDES));
  const ports = /** @type {Record<Side, number>} */ ({});
  for (const name of sideNames) ports[name] = await freePort();
  /** @param {Side} name */
  const address = (name) => `127.0.0.1:${ports[name]}`;
  // A collector stand-in for the traced greeter: takes every OTLP/HTTP export and counts it.
  const otlp = { exports: 0, bytes: 0 };
  const collector = http.createServer((request, response) => {
    request.on('data', (chunk) => (otlp.bytes += chunk.length));
    request.on('end', () => {
      otlp.exports++;
      response.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise((resolve) => collector.listen(0, '127.0.0.1', () => resolve(undefined)));
  const otlpEndpoint = `http://127.0.0.1:${/** @type {import('node:net').AddressInfo} */ (collector.address()).port}`;
  const greeterArgs = appNodeArgs(ROOT, 'greeter');
  const starts = {
    greeterTraced: () =>
      startProcess('greeter (traced)', greeterArgs, {
        env: {
          ...env,
          GREETER_GRPC_URL: address('greeterTraced'),
          GREETER_HTTP_PORT: '0',
          OTEL_EXPORTER_OTLP_ENDPOINT: otlpEndpoint,
          OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
          OTEL_TRACES_SAMPLER: 'always_on',
        },
        ready: /listening|started|ready/i,
      }),
    greeterSdkOff: () =>
      startProcess('greeter (SDK off)', greeterArgs, {
        env: { ...env, GREETER_GRPC_URL: address('greeterSdkOff'), GREETER_HTTP_PORT: '0', OTEL_SDK_DISABLED: 'true' },
        ready: /listening|started|ready/i,
      }),
    greeter: () =>
      startProcess('greeter', appNodeArgs(ROOT, 'greeter', profileArgs('greeter')), {
        env: { ...env, GREETER_GRPC_URL: address('greeter'), GREETER_HTTP_PORT: '0' },
        ready: /listening|started|ready/i,
      }),
    raw: () =>
      startProcess('raw grpc-js server', rawArgs('raw-grpc-server.cjs'), {
        env: { ...env, RAW_GRPC_URL: address('raw') },
        ready: /READY/,
      }),
    rawEvents: () =>
      startProcess('raw grpc-js + amqplib server', rawArgs('raw-grpc-server.cjs', profileArgs('rawEvents')), {
        env: { ...env, RAW_GRPC_URL: address('rawEvents'), RAW_EVENTS_URL: rabbitmqUrl },
        ready: /READY/,
      }),
    nest: () =>
      startProcess('Nest stock gRPC peer', peerArgs('nest-grpc.ts'), {
        env: { ...env, PEER_GRPC_URL: address('nest'), PEER_PROTO_PATH: PROTO },
        ready: /READY/,
      }),
    nestEvents: () =>
      startProcess('Nest stock gRPC + ClientRMQ peer', peerArgs('nest-grpc.ts'), {
        env: { ...env, PEER_GRPC_URL: address('nestEvents'), PEER_PROTO_PATH: PROTO, PEER_EVENTS_URL: rabbitmqUrl },
        ready: /READY/,
      }),
  };
  const sides = /** @type {Record<Side, { process: StartedProcess, address: string }>} */ ({});
  // The event publishers report their events at exit: proof that they did the work they are compared for.
  /** @type {Record<EventSide, string>} */
  const reports = { rawEvents: '', nestEvents: '' };
  const eventSides = /** @type {EventSide[]} */ (Object.keys(reports));
  const stopAll = async () => {
    for (const side of Object.values(sides)) await stopProcess(side.process);
  };
  try {
    // The sides share one vhost: every side's greeting.greeted events go to the event log the greeter
    // declares, declared here before any side starts.
    await declareEventLog(rabbitmqUrl);
    for (const name of sideNames) {
      sides[name] = { process: await starts[name](), address: address(name) };
      if (pinning.enabled) pin(sides[name].process.pid, pinning.measured);
      const reported = eventSides.find((side) => side === name);
      if (reported) sides[name].process.stdout.on('data', (d) => (reports[reported] += d.toString()));
      await checkReply(sides[name].address);
    }
    // Warm-up: a run of every side at 10 in flight before the first round (JIT, connections, the
    // broker's queues). Without it every side's CPU per call fell from round to round at 1 in flight,
    // the first level measured (the greeter's 286, 289, 247, 236, 216 µs).
    if (!smoke) {
      for (const name of sideNames) {
        runH2load({
          address: sides[name].address,
          inflight: 10,
          seconds,
          bodyFile,
          logFile: path.join(tmp, `${name}-warm-up.log`),
          cpus: pinning.enabled ? pinning.rest : undefined,
        });
      }
    }
    /** @type {Row[]} */
    const rows = [];
    for (const inflight of levels) {
      const samples = /** @type {Record<Side, Sample[]>} */ (
        Object.fromEntries(sideNames.map((name) => [name, /** @type {Sample[]} */ ([])]))
      );
      // Rotate the order of the sides each round so machine noise hits them alike.
      const names = /** @type {Side[]} */ (Object.keys(samples));
      /** @type {Row['machine']} */
      const machine = [];
      for (let round = 0; round < rounds; round++) {
        // The smoke run only records the load: it runs beside other tests.
        machine.push(
          await waitForQuiet(`gRPC ${inflight} in flight, round ${round + 1}/${rounds}`, {
            timeoutMs: smoke ? 0 : 120_000,
          }),
        );
        const order = names.map((_, i) => names[(i + round) % names.length]);
        for (const side of order) {
          samples[side].push(
            await measure(sides[side].process, {
              address: sides[side].address,
              inflight,
              seconds,
              bodyFile,
              logFile: path.join(tmp, `${side}-${inflight}-${round}.log`),
              cpus: pinning.enabled ? pinning.rest : undefined,
            }),
          );
        }
      }
      /**
       * @param {Sample[]} list
       * @returns {SideSummary}
       */
      const summary = (list) => ({
        rps: median(list.map((s) => s.rps)),
        p50Ms: median(list.map((s) => s.p50)),
        p99Ms: median(list.map((s) => s.p99)),
        cpuUsPerRequest: median(list.map((s) => s.cpuUsPerRequest)),
        // The headline figures over the rounds: CPU per call first (steadier than req/s on few cores).
        cpuSpread: spread(list.map((s) => s.cpuUsPerRequest)),
        rpsSpread: spread(list.map((s) => s.rps)),
      });
      const row = /** @type {Row} */ ({ inflight, samples, machine });
      for (const name of sideNames) row[name] = summary(samples[name]);
      // The greeter's req/s over each other side's.
      row.ratios = Object.fromEntries(sideNames.slice(1).map((name) => [name, row.greeter.rps / row[name].rps]));
      row.ratio = row.ratios.raw;
      row.ratioToRawEvents = row.ratios.rawEvents;
      rows.push(row);
    }
    for (const name of eventSides) await stopProcess(sides[name].process);
    /** @type {Partial<Record<EventSide, { published: number, confirmed: number }>>} */
    const published = {};
    for (const name of eventSides) {
      const report = reports[name];
      const events = JSON.parse(/events: (\{.*\})/.exec(report)?.[1] ?? 'null');
      if (!events || events.published === 0 || events.confirmed !== events.published) {
        throw new Error(`${SIDES[name]} did not have all its events confirmed: ${report.trim()}`);
      }
      published[name] = events;
    }
    await stopProcess(sides.greeterTraced.process);
    if (otlp.exports === 0) throw new Error('the traced greeter exported no spans');
    return {
      otlpExports: otlp,
      loadGenerator: 'h2load (nghttp2-client), 1 connection, closed loop',
      secondsPerRun: seconds,
      rounds,
      sides: SIDES,
      rawEventsPublished: published.rawEvents,
      eventsPublished: published,
      rows,
    };
  } finally {
    collector.close();
    await stopAll();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

module.exports = { benchGrpc, framedHelloRequest, SIDES };

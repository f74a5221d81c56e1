// Start-up and footprint: for each app's production build (and, for comparison, each peer and raw
// baseline), the time from spawning the process until it says it is ready (its listening/READY line,
// printed once it is connected to the broker and serving), the CPU time it used until then (steadier
// than the wall time on a shared machine), and its RSS at idle two seconds later; the median of
// `rounds` starts. Then the greeter and the producer serve `messages` requests each
// (h2load: gRPC SayHello, HTTP POST /messages with the consumer draining the queue) and their RSS is
// read again. The consumer's and event-handler's RSS after many messages is the memory section's.
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const {
  ROOT,
  cpuSeconds,
  freePort,
  median,
  peerArgs,
  rawArgs,
  rssMiB,
  sleep,
  startProcess,
  stopProcess,
} = require('./lib.cjs');
const { appNodeArgs } = require('../stack/apps.cjs');
const { spread } = require('./rounds.cjs');
const { framedHelloRequest } = require('./grpc.cjs');
const { waitForConsumer } = require('./pipeline.cjs');

/** @param {string} name */
const APP = (name) => appNodeArgs(ROOT, name);

/**
 * @typedef {{ label: string, args: string[], env: (url: string) => Promise<NodeJS.ProcessEnv>, ready: RegExp }} ProcessSpec
 */

/**
 * What to start, by key: label, node arguments, environment (given a vhost URL) and ready line.
 * @param {string} queueArguments
 */
function processes(queueArguments) {
  const env = { ...process.env, NODE_ENV: 'production' };
  /** @param {string} url */
  const peerEnv = (url) => ({ ...env, PEER_AMQP_URL: url, PEER_QUEUE_ARGUMENTS: queueArguments });
  return /** @satisfies {Record<string, ProcessSpec>} */ ({
    greeter: {
      label: 'greeter',
      args: APP('greeter'),
      env: async (url) => ({
        ...env,
        RABBITMQ_URL: url,
        GREETER_GRPC_URL: `127.0.0.1:${await freePort()}`,
        GREETER_HTTP_PORT: '0',
      }),
      ready: /gRPC server listening on/,
    },
    producer: {
      label: 'producer',
      args: APP('producer'),
      env: async (url) => ({ ...env, RABBITMQ_URL: url, PRODUCER_HTTP_PORT: String(await freePort()) }),
      ready: /producer listening on/,
    },
    consumer: {
      label: 'consumer',
      args: APP('consumer'),
      env: async (url) => ({ ...env, RABBITMQ_URL: url, CONSUMER_HTTP_PORT: String(await freePort()) }),
      ready: /consumer listening on/,
    },
    eventHandler: {
      label: 'event-handler',
      args: APP('event-handler'),
      env: async (url) => ({
        ...env,
        RABBITMQ_URL: url,
        EVENT_HANDLER_HTTP_PORT: String(await freePort()),
        EVENT_HANDLER_TCP_PORT: String(await freePort()),
        EVENT_HANDLER_DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'hello-bench-footprint-')),
      }),
      ready: /HTTP on .*line echo on/,
    },
    nestGrpc: {
      label: 'peer: Nest gRPC + ClientRMQ',
      args: peerArgs('nest-grpc.ts'),
      env: async (url) => ({
        ...env,
        PEER_GRPC_URL: `127.0.0.1:${await freePort()}`,
        PEER_PROTO_PATH: path.join(ROOT, 'proto', 'helloworld.proto'),
        PEER_EVENTS_URL: url,
      }),
      ready: /READY/,
    },
    nestRmq: {
      label: 'peer: Nest RMQ + ClientRMQ',
      args: peerArgs('nest-rmq-consumer.ts'),
      env: async (url) => peerEnv(url),
      ready: /READY/,
    },
    golevelup: {
      label: 'peer: golevelup',
      args: peerArgs('golevelup/golevelup-consumer.ts'),
      env: async (url) => peerEnv(url),
      ready: /READY/,
    },
    rawGrpc: {
      label: 'raw grpc-js + amqplib',
      args: rawArgs('raw-grpc-server.cjs'),
      env: async (url) => ({ ...env, RAW_GRPC_URL: `127.0.0.1:${await freePort()}`, RAW_EVENTS_URL: url }),
      ready: /READY/,
    },
    rawAmqp: {
      label: 'raw amqplib consumer',
      args: rawArgs('raw-amqp-consumer.cjs'),
      env: async (url) => ({ ...env, RAW_AMQP_URL: url, RAW_QUEUE_ARGUMENTS: queueArguments }),
      ready: /READY/,
    },
  });
}

/** @param {string[]} args */
function h2load(args) {
  const result = spawnSync('h2load', args, { encoding: 'utf8', maxBuffer: 16 * 2 ** 20 });
  const done = /requests: (\d+) total, \d+ started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored/.exec(
    result.stdout,
  );
  if (result.status !== 0 || !done || Number(done[4]) > 0 || Number(done[5]) > 0) {
    throw new Error(`h2load failed: ${result.stderr || result.stdout}`);
  }
  const status2xx = Number(/status codes: (\d+) 2xx/.exec(result.stdout)?.[1]);
  return { succeeded: Number(done[3]), status2xx };
}

/** @param {import('./run.cjs').Common & { messages?: number }} options */
async function benchFootprint({ createVhost, managementUrl, smoke, rounds, pinning, messages: requested }) {
  const { workQueueArguments } = require('@hello/messaging');
  const messages = requested ?? (smoke ? 1000 : 100_000);
  const specs = processes(JSON.stringify(workQueueArguments('hello')));
  const keys = /** @type {(keyof typeof specs)[]} */ (Object.keys(specs));
  /** @type {Record<string, { readyMs: number[], readyCpuMs: number[], idleRssMiB: number[] }>} */
  const samples = Object.fromEntries(keys.map((k) => [k, { readyMs: [], readyCpuMs: [], idleRssMiB: [] }]));
  for (let round = 0; round < rounds; round++) {
    for (const key of keys) {
      /** @type {ProcessSpec} */
      const spec = specs[key];
      // A vhost of its own for every start: each start declares its topology from scratch.
      const vhost = await createVhost(`bench-footprint-${key}`);
      const env = await spec.env(vhost.url);
      /** @type {import('./lib.cjs').StartedProcess | undefined} */
      let child;
      try {
        // The measured start on a core of its own (the bench waits meanwhile).
        const cpus = pinning.enabled ? pinning.measured : undefined;
        child = await startProcess(spec.label, spec.args, { env, ready: spec.ready, cpus });
        samples[key].readyMs.push(child.readyAfterMs);
        samples[key].readyCpuMs.push(cpuSeconds(child.pid) * 1000);
        await sleep(2000);
        samples[key].idleRssMiB.push(rssMiB(child.pid));
      } finally {
        await stopProcess(child);
        await vhost.delete().catch(() => undefined);
        if (env['EVENT_HANDLER_DATA_DIR']) fs.rmSync(env['EVENT_HANDLER_DATA_DIR'], { recursive: true, force: true });
      }
    }
  }
  /**
   * @typedef {{ label: string, readyMs: number, idleRssMiB: number, readyCpuMs: number,
   *   readySpread: ReturnType<typeof spread>, readyCpuSpread: ReturnType<typeof spread>, idleRssSpread: ReturnType<typeof spread>,
   *   afterMessagesRssMiB?: number, rssSeries?: RssSeries }} AppFootprint
   */
  const apps = /** @type {Record<keyof typeof specs, AppFootprint>} */ ({});
  for (const key of keys) {
    const spec = specs[key];
    apps[key] = {
      label: spec.label,
      readyMs: median(samples[key].readyMs),
      idleRssMiB: median(samples[key].idleRssMiB),
      readyCpuMs: median(samples[key].readyCpuMs),
      readySpread: spread(samples[key].readyMs),
      readyCpuSpread: spread(samples[key].readyCpuMs),
      idleRssSpread: spread(samples[key].idleRssMiB),
    };
  }
  const greeter = await greeterAfter(createVhost, specs.greeter, messages);
  const producer = await producerAfter(createVhost, managementUrl, specs, messages);
  apps.greeter.afterMessagesRssMiB = greeter.rssMiB;
  apps.greeter.rssSeries = greeter.series;
  apps.producer.afterMessagesRssMiB = producer.rssMiB;
  apps.producer.rssSeries = producer.series;
  return { rounds, messages, apps, samples };
}

/**
 * Sends `messages` in four batches and reads the RSS after each (a leak keeps climbing, a heap
 * growing into its working size levels off); resolves with { rssMiB (after all), series }.
 * @typedef {{ messages: number, rssMiB: number }[]} RssSeries
 * @param {number} messages
 * @param {import('./lib.cjs').StartedProcess} child
 * @param {(n: number) => void} send
 * @returns {Promise<{ rssMiB: number, series: RssSeries }>}
 */
async function inBatches(messages, child, send) {
  /** @type {RssSeries} */
  const series = [];
  let sent = 0;
  for (let batch = 1; batch <= 4; batch++) {
    const n = Math.round((messages * batch) / 4) - sent;
    send(n);
    sent += n;
    await sleep(1000);
    series.push({ messages: sent, rssMiB: rssMiB(child.pid) });
  }
  return { rssMiB: series[series.length - 1].rssMiB, series };
}

/**
 * @param {import('./run.cjs').Common['createVhost']} createVhost
 * @param {ProcessSpec} spec
 * @param {number} messages
 */
async function greeterAfter(createVhost, spec, messages) {
  const vhost = await createVhost('bench-footprint-greeter-load');
  const env = await spec.env(vhost.url);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hello-bench-footprint-'));
  const body = path.join(tmp, 'hello-request.bin');
  fs.writeFileSync(body, framedHelloRequest('world'));
  /** @type {import('./lib.cjs').StartedProcess | undefined} */
  let child;
  try {
    child = await startProcess(spec.label, spec.args, { env, ready: spec.ready });
    return await inBatches(messages, child, (n) => {
      const { succeeded } = h2load([
        '-c',
        '1',
        '-m',
        '10',
        '-n',
        String(n),
        '-H',
        'content-type: application/grpc',
        '-H',
        'te: trailers',
        '-d',
        body,
        `http://${env['GREETER_GRPC_URL']}/helloworld.Greeter/SayHello`,
      ]);
      if (succeeded !== n) throw new Error(`the greeter answered ${succeeded} of ${n} calls`);
    });
  } finally {
    await stopProcess(child);
    await vhost.delete().catch(() => undefined);
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * @param {import('./run.cjs').Common['createVhost']} createVhost
 * @param {string} managementUrl
 * @param {ReturnType<typeof processes>} specs
 * @param {number} messages
 */
async function producerAfter(createVhost, managementUrl, specs, messages) {
  const vhost = await createVhost('bench-footprint-producer-load');
  const consumerEnv = await specs.consumer.env(vhost.url);
  const env = await specs.producer.env(vhost.url);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hello-bench-footprint-'));
  const body = path.join(tmp, 'message.json');
  fs.writeFileSync(body, JSON.stringify({ text: 'hello' }));
  /** @type {import('./lib.cjs').StartedProcess | undefined} */
  let consumer;
  /** @type {import('./lib.cjs').StartedProcess | undefined} */
  let producer;
  try {
    consumer = await startProcess('consumer', specs.consumer.args, { env: consumerEnv, ready: specs.consumer.ready });
    await waitForConsumer(managementUrl, vhost.vhost, 'hello');
    producer = await startProcess('producer', specs.producer.args, { env, ready: specs.producer.ready });
    // HTTP/1.1, 10 connections with one request each in flight: every request waits for its confirm.
    return await inBatches(messages, producer, (n) => {
      const { status2xx } = h2load([
        '--h1',
        '-c',
        '10',
        '-n',
        String(n),
        '-H',
        'content-type: application/json',
        '-d',
        body,
        `http://127.0.0.1:${env['PRODUCER_HTTP_PORT']}/messages`,
      ]);
      if (status2xx !== n) throw new Error(`the producer accepted ${status2xx} of ${n} messages`);
    });
  } finally {
    await stopProcess(producer);
    await stopProcess(consumer);
    await vhost.delete().catch(() => undefined);
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

module.exports = { benchFootprint };

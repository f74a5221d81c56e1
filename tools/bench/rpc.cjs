// RPC over the queue: SayHello as AMQP request/reply (hello.rpc, direct reply-to) against the same
// call over gRPC, and against a bare amqplib request/reply pair doing the same work. Three sides, one
// greeting per call, the same closed-loop load generator in this process for all of them (N calls
// in flight, each started when the previous one returns):
//   amqp  the project's AmqpRpcClient (@hello/messaging) → the greeter's production build (its
//         AmqpRpcServer, CQRS bus, validation, greeting.greeted event per call)
//   grpc  @grpc/grpc-js client → the same greeter process over gRPC (same command, same event)
//   raw   amqplib with direct reply-to → raw-amqp-rpc-server.cjs (same queue arguments, prefetch,
//         reply-then-ack on confirms, a greeting.greeted event per call)
// The greeter's side and the raw side run in vhosts of their own on the same broker.
'use strict';
const path = require('node:path');
const { randomUUID } = require('node:crypto');
const amqp = require('amqplib');
const grpc = require('@grpc/grpc-js');
const loader = require('@grpc/proto-loader');
const { lastValueFrom } = require('rxjs');
const { ROOT, freePort, percentile, median, rawArgs, startProcess, stopProcess, rawTraceparent } = require('./lib.cjs');
const { appNodeArgs } = require('../stack/apps.cjs');

const LEVELS = [1, 10, 100];

/**
 * @typedef {'amqp' | 'grpc' | 'raw'} RpcSide
 * @typedef {{ message: string }} HelloReply
 * @typedef {{ call(name: string): Promise<HelloReply>, close(): Promise<unknown> }} RpcClient
 * @typedef {{ rps: number, p50Ms: number, p99Ms: number }} RpcSummary
 */

/**
 * The project's client (compiled on the fly by run.cjs's ts-register).
 * @param {string} url
 * @returns {Promise<RpcClient>}
 */
async function projectClient(url) {
  const { AmqpConnection, AmqpRpcClient } = require('@hello/messaging');
  const connection = new AmqpConnection({ url, connectionName: 'bench.rpc-client' });
  await connection.connect();
  const client = new AmqpRpcClient({ connection, queue: 'hello.rpc', appId: 'bench', timeoutMs: 30_000 });
  await client.waitUntilReady();
  return {
    call: (name) =>
      /** @type {Promise<HelloReply>} */ (lastValueFrom(client.send('helloworld.Greeter.SayHello', { name }))),
    close: async () => {
      await client.close();
      await connection.close();
    },
  };
}

/**
 * @param {string} address
 * @returns {Promise<RpcClient>}
 */
async function grpcClient(address) {
  const definition = loader.loadSync(path.join(ROOT, 'proto', 'helloworld.proto'), { keepCase: true });
  // Loaded from the .proto at run time: its shape is the proto's, which grpc-js cannot know.
  const { Greeter } = /** @type {import('./grpc.cjs').HelloworldPackage} */ (
    /** @type {unknown} */ (grpc.loadPackageDefinition(definition))
  ).helloworld;
  const client = new Greeter(address, grpc.credentials.createInsecure());
  return {
    call: (name) =>
      /** @type {Promise<HelloReply>} */ (
        new Promise((resolve, reject) =>
          client.SayHello({ name }, { deadline: Date.now() + 30_000 }, (e, r) => (e ? reject(e) : resolve(r))),
        )
      ),
    close: async () => client.close(),
  };
}

/**
 * A bare amqplib request/reply client with direct reply-to, as the tutorial would write it.
 * @param {string} url
 * @returns {Promise<RpcClient>}
 */
async function rawClient(url) {
  const connection = await amqp.connect(url);
  const channel = await connection.createChannel();
  /** @type {Map<string, (reply: HelloReply) => void>} */
  const pending = new Map();
  await channel.consume(
    'amq.rabbitmq.reply-to',
    (delivery) => {
      // Never null: nothing cancels the reply-to consumer but closing the connection.
      const message = /** @type {import('amqplib').ConsumeMessage} */ (delivery);
      const resolve = pending.get(message.properties.correlationId);
      if (!resolve) return;
      pending.delete(message.properties.correlationId);
      resolve(JSON.parse(message.content.toString('utf8')));
    },
    { noAck: true },
  );
  return {
    call: (name) =>
      new Promise((resolve) => {
        const correlationId = randomUUID();
        pending.set(correlationId, resolve);
        channel.sendToQueue('hello.rpc', Buffer.from(JSON.stringify({ name })), {
          replyTo: 'amq.rabbitmq.reply-to',
          correlationId,
          messageId: correlationId,
          contentType: 'application/json',
          expiration: '30000',
          headers: { 'x-hello-deadline': Date.now() + 30_000, traceparent: rawTraceparent() },
        });
      }),
    close: () => connection.close(),
  };
}

/**
 * N loops of calls for `seconds`; calls/s and latency percentiles.
 * @param {RpcClient} client
 * @param {number} inflight
 * @param {number} seconds
 */
async function closedLoop(client, inflight, seconds) {
  /** @type {number[]} */
  const latencies = [];
  const until = performance.now() + seconds * 1000;
  let calls = 0;
  /** @param {number} w */
  const worker = async (w) => {
    for (let i = 0; performance.now() < until; i++) {
      const started = performance.now();
      const reply = await client.call(`w${w}-${i}`);
      latencies.push(performance.now() - started);
      if (reply.message !== `Hello, w${w}-${i}!`) throw new Error(`wrong reply ${JSON.stringify(reply)}`);
      calls++;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: inflight }, (_, w) => worker(w)));
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { rps: calls / elapsed, calls, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99) };
}

/** @param {import('./run.cjs').Common} options */
async function benchRpc({ createVhost, smoke, rounds }) {
  const seconds = smoke ? 1 : 5;
  const greeterVhost = await createVhost('bench-rpc-greeter');
  const rawVhost = await createVhost('bench-rpc-raw');
  const grpcPort = await freePort();
  const env = { ...process.env, NODE_ENV: 'production' };
  let greeter;
  let raw;
  const clients = /** @type {Record<RpcSide, RpcClient>} */ ({});
  let rawReport = '';
  try {
    greeter = await startProcess('greeter', appNodeArgs(ROOT, 'greeter'), {
      env: {
        ...env,
        RABBITMQ_URL: greeterVhost.url,
        GREETER_GRPC_URL: `127.0.0.1:${grpcPort}`,
        GREETER_HTTP_PORT: '0',
      },
      ready: /answering requests on 'hello\.rpc'/,
    });
    raw = await startProcess('raw amqplib rpc server', rawArgs('raw-amqp-rpc-server.cjs'), {
      env: { ...env, RAW_RPC_URL: rawVhost.url },
      ready: /READY/,
    });
    raw.stdout.on('data', (d) => (rawReport += d.toString()));
    clients.amqp = await projectClient(greeterVhost.url);
    clients.grpc = await grpcClient(`127.0.0.1:${grpcPort}`);
    clients.raw = await rawClient(rawVhost.url);
    const names = /** @type {RpcSide[]} */ (Object.keys(clients));
    for (const side of names) await closedLoop(clients[side], 10, smoke ? 0.2 : 1); // warm-up
    /**
     * @type {{ inflight: number, amqp: RpcSummary, grpc: RpcSummary, raw: RpcSummary, amqpToGrpc: number,
     *   amqpToRaw: number, samples: Record<RpcSide, Awaited<ReturnType<typeof closedLoop>>[]> }[]}
     */
    const rows = [];
    // The smoke run proves each side works at one load level; the full run measures three.
    for (const inflight of smoke ? [10] : LEVELS) {
      /** @type {Record<RpcSide, Awaited<ReturnType<typeof closedLoop>>[]>} */
      const samples = { amqp: [], grpc: [], raw: [] };
      for (let round = 0; round < rounds; round++) {
        // Rotate the order each round so that machine noise hits the sides alike.
        for (const side of names.map((_, i) => names[(i + round) % names.length])) {
          samples[side].push(await closedLoop(clients[side], inflight, seconds));
        }
      }
      /**
       * @param {Awaited<ReturnType<typeof closedLoop>>[]} list
       * @returns {RpcSummary}
       */
      const summary = (list) => ({
        rps: median(list.map((s) => s.rps)),
        p50Ms: median(list.map((s) => s.p50Ms)),
        p99Ms: median(list.map((s) => s.p99Ms)),
      });
      const a = summary(samples.amqp);
      const g = summary(samples.grpc);
      const r = summary(samples.raw);
      rows.push({ inflight, amqp: a, grpc: g, raw: r, amqpToGrpc: a.rps / g.rps, amqpToRaw: a.rps / r.rps, samples });
    }
    return {
      loadGenerator: 'closed loop in the benchmark process (same for all sides)',
      secondsPerRun: seconds,
      rounds,
      rows,
    };
  } finally {
    for (const client of Object.values(clients)) await client.close().catch(() => undefined);
    await stopProcess(greeter);
    await stopProcess(raw);
    if (rawReport) process.stderr.write(`[bench] raw rpc server ${rawReport.trim()}\n`);
    await greeterVhost.delete().catch(() => undefined);
    await rawVhost.delete().catch(() => undefined);
  }
}

/**
 * The section of the summary table.
 * @param {Awaited<ReturnType<typeof benchRpc>>} result
 * @param {(value: number, digits?: number) => string} fmt
 */
function rpcTable(result, fmt) {
  const lines = [
    `RPC SayHello: AMQP request/reply (hello.rpc, direct reply-to) vs gRPC vs bare amqplib (${result.loadGenerator}; median of ${result.rounds} rotating runs of ${result.secondsPerRun} s)`,
    '| in flight | AMQP calls/s | gRPC calls/s | raw amqplib calls/s | AMQP/gRPC | AMQP/raw | p50/p99 ms AMQP · gRPC · raw |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  /** @param {RpcSummary} s */
  const lat = (s) => `${fmt(s.p50Ms, 2)}/${fmt(s.p99Ms, 2)}`;
  for (const r of result.rows) {
    lines.push(
      `| ${r.inflight} | ${fmt(r.amqp.rps)} | ${fmt(r.grpc.rps)} | ${fmt(r.raw.rps)} | ${fmt(r.amqpToGrpc, 2)}× | ${fmt(r.amqpToRaw, 2)}× | ${lat(r.amqp)} · ${lat(r.grpc)} · ${lat(r.raw)} |`,
    );
  }
  lines.push('');
  return lines.join('\n');
}

module.exports = { benchRpc, rpcTable };

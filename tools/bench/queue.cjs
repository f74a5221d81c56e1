// Queue pipeline: the project's publishing path (ConfirmedPublisher of @hello/messaging) and the
// consumer app's full handling path (its production build) against three other sides with the same
// durability (the same quorum queue and arguments, persistent messages, publisher confirms on both
// hops, manual acks, the same prefetch): a raw amqplib publisher and consumer, and two peers a team
// would otherwise pick, each fed by a raw amqplib publisher: NestJS's stock Transport.RMQ consumer
// publishing its effect through ClientRMQ (peers/nest-rmq-consumer.ts), and a
// @golevelup/nestjs-rabbitmq subscriber publishing through its AmqpConnection
// (peers/golevelup/golevelup-consumer.ts, a package of its own on NestJS 11). Every side puts the same
// messages on the wire (AMQP properties and the W3C traceparent header, on both hops), except that
// Nest's transport wraps each body in its {"pattern", "data"} envelope. Each side runs in a vhost of its own on the same broker. A message
// counts as handled when its message.handled event (which every consumer publishes, confirmed,
// before it acks) reaches an observer queue.
//
// Three loads per side: saturation (as fast as confirms allow, PUBLISH_WINDOW publishes in flight:
// the queue backs up, so latency there is mostly waiting in the queue), an offered rate (1000 msg/s),
// and one message at a time (the time through an idle pipeline). During the saturation runs the CPU
// time of each consumer process, of this process (publisher and observer) and, when the broker runs
// on this machine, of the broker is divided by the messages: on a machine with few cores the sides
// compete for CPU, so CPU per message is the steadier figure.
//
// HELLO_CPU_PROF=<dir> / HELLO_HEAP_PROF=<dir>: see profileArgs.
'use strict';
const { randomUUID } = require('node:crypto');
const path = require('node:path');
const amqp = require('amqplib');
const {
  ROOT,
  cpuSeconds,
  freePort,
  percentile,
  median,
  peerArgs,
  profileArgs,
  rawTraceparent,
  rssMiB,
  startProcess,
  stopProcess,
  sleep,
} = require('./lib.cjs');
const { pin, spread, waitForQuiet } = require('./rounds.cjs');

const PREFETCH = 20;
const PUBLISH_WINDOW = 500;
/** The sides, in table order: the project first, then what it is compared with. */
const SIDES = {
  consumer: 'publisher + consumer app',
  raw: 'raw amqplib',
  nestRmq: 'Nest RMQ transport + ClientRMQ',
  golevelup: '@golevelup/nestjs-rabbitmq',
};

/**
 * @typedef {keyof typeof SIDES} Side
 * @typedef {{ publish(messageId: string, text: string): Promise<unknown>, close(): Promise<unknown> }} Publisher
 * @typedef {Awaited<ReturnType<typeof createObserver>>} Observer
 * @typedef {Awaited<ReturnType<typeof benchQueue>>['project']} SideSummary
 */

/**
 * A GET of the management API; resolves with its JSON.
 * @param {string} apiBase
 * @param {string} resource
 */
async function managementGet(apiBase, resource) {
  const url = new URL(`api/${resource}`, apiBase.endsWith('/') ? apiBase : `${apiBase}/`);
  const auth = Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString(
    'base64',
  );
  url.username = '';
  url.password = '';
  const res = await fetch(url, { headers: { authorization: `Basic ${auth}` } });
  if (!res.ok) throw new Error(`management API ${resource}: HTTP ${res.status}`);
  return res.json();
}

/**
 * @param {string} managementUrl
 * @param {string} vhost
 * @param {string} queue
 * @param {number} [timeoutMs]
 */
async function waitForConsumer(managementUrl, vhost, queue, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const q = await managementGet(managementUrl, `queues/${encodeURIComponent(vhost)}/${queue}`);
      if (q.consumers > 0) return;
    } catch {
      /* not declared yet */
    }
    await sleep(200);
  }
  throw new Error(`no consumer on ${queue} in vhost ${vhost} after ${timeoutMs} ms`);
}

/**
 * Watches message.handled events and resolves each message's latency.
 * @param {string} url
 */
async function createObserver(url) {
  const connection = await amqp.connect(url);
  const channel = await connection.createChannel();
  await channel.assertExchange('hello.events', 'topic', { durable: true });
  const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
  await channel.bindQueue(queue, 'hello.events', 'message.handled');
  /** @type {Map<string, { at: number, resolve: (ms: number) => void }>} */
  const pending = new Map();
  let handled = 0;
  await channel.consume(
    queue,
    (message) => {
      // Never null: the queue is this connection's own, so nothing cancels the consumer but closing it.
      const id = /** @type {import('amqplib').ConsumeMessage} */ (message).properties.correlationId;
      const started = pending.get(id);
      if (started === undefined) return;
      pending.delete(id);
      handled++;
      started.resolve(performance.now() - started.at);
    },
    { noAck: true },
  );
  return {
    /**
     * @param {string} messageId
     * @returns {Promise<number>}
     */
    expect(messageId) {
      return new Promise((resolve) => pending.set(messageId, { at: performance.now(), resolve }));
    },
    get handled() {
      return handled;
    },
    close: () => connection.close(),
  };
}

/**
 * The project's publishing path.
 * @param {string} url
 * @returns {Promise<Publisher>}
 */
async function projectPublisher(url) {
  const { AmqpConnection, ConfirmedPublisher } = require('@hello/messaging');
  const { HELLO_MESSAGE_TYPE, Topology } = require('@hello/contracts');
  const connection = new AmqpConnection({ url, connectionName: 'bench.publisher' });
  await connection.connect();
  const publisher = new ConfirmedPublisher({ connection, appId: 'bench' });
  await publisher.waitForConnect();
  return {
    publish: (messageId, text) =>
      publisher.publish({
        exchange: '',
        routingKey: Topology.helloQueue,
        body: { text },
        messageId,
        type: HELLO_MESSAGE_TYPE,
        mandatory: true,
      }),
    close: async () => {
      await publisher.close();
      await connection.close();
    },
  };
}

/**
 * The raw amqplib publisher: the same message on the wire (properties and headers), confirmed. With
 * `envelope`, the body is wrapped as NestJS's RMQ transport expects ({pattern, data}).
 * @param {string} url
 * @param {{ envelope?: boolean }} [options]
 * @returns {Promise<Publisher>}
 */
async function rawPublisher(url, { envelope = false } = {}) {
  const connection = await amqp.connect(url);
  const channel = await connection.createConfirmChannel();
  return {
    publish: (messageId, text) =>
      /** @type {Promise<void>} */ (
        new Promise((resolve, reject) =>
          channel.publish(
            '',
            'hello',
            Buffer.from(JSON.stringify(envelope ? { pattern: 'hello.message.v1', data: { text } } : { text })),
            {
              persistent: true,
              mandatory: true,
              contentType: 'application/json',
              messageId,
              type: 'hello.message.v1',
              appId: 'bench',
              timestamp: Math.floor(Date.now() / 1000),
              headers: { traceparent: rawTraceparent() },
            },
            (error) => (error ? reject(error) : resolve()),
          ),
        )
      ),
    close: () => connection.close(),
  };
}

/**
 * Publishes at `rate` messages/s for `seconds`; returns end-to-end latencies.
 * @param {Publisher} publisher
 * @param {Observer} observer
 * @param {number} rate
 * @param {number} seconds
 */
async function offeredRate(publisher, observer, rate, seconds) {
  const total = Math.round(rate * seconds);
  const tickMs = 10;
  const perTick = rate / (1000 / tickMs);
  /** @type {Promise<number>[]} */
  const waits = [];
  const started = performance.now();
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - started) / tickMs + 1) * perTick));
    for (; sent < due; sent++) {
      const id = randomUUID();
      waits.push(observer.expect(id));
      publisher.publish(id, `bench ${sent}`).catch((e) => {
        throw e;
      });
    }
    await sleep(tickMs);
  }
  const latencies = (await withTimeout(Promise.all(waits), 60_000, 'offered-rate run')).sort((a, b) => a - b);
  const elapsed = (performance.now() - started) / 1000;
  return {
    offered: rate,
    achieved: total / elapsed,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
  };
}

/**
 * Publishes `count` messages as fast as confirms allow (a window of PUBLISH_WINDOW).
 * @param {Publisher} publisher
 * @param {Observer} observer
 * @param {number} count
 */
async function saturation(publisher, observer, count) {
  /** @type {number[]} */
  const latencies = [];
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const n = next++;
      const id = randomUUID();
      const handled = observer.expect(id).then((ms) => latencies.push(ms));
      await publisher.publish(id, `bench ${n}`);
      // Keep the handled promises from piling up unobserved.
      void handled;
    }
  };
  await Promise.all(Array.from({ length: PUBLISH_WINDOW }, worker));
  await withTimeout(
    (async () => {
      while (latencies.length < count) await sleep(5);
    })(),
    120_000,
    'saturation run',
  );
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { messagesPerSecond: count / elapsed, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99) };
}

/**
 * Publishes `count` messages one after the other, each once the previous one was handled.
 * @param {Publisher} publisher
 * @param {Observer} observer
 * @param {number} count
 */
async function oneAtATime(publisher, observer, count) {
  /** @type {number[]} */
  const latencies = [];
  for (let n = 0; n < count; n++) {
    const id = randomUUID();
    const handled = observer.expect(id);
    await publisher.publish(id, `bench ${n}`);
    latencies.push(await withTimeout(handled, 10_000, 'one-at-a-time message'));
  }
  latencies.sort((a, b) => a - b);
  return { p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99) };
}

/**
 * The broker's OS process when it runs on this machine (its CPU time is then readable), else undefined.
 * @param {string} managementUrl
 * @param {number} [timeoutMs]
 * @returns {Promise<number | undefined>}
 */
async function localBrokerPid(managementUrl, timeoutMs = 15_000) {
  // A node's os_pid shows in the management API some seconds after it started (its first statistics).
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const [node] = await managementGet(managementUrl, 'nodes');
      if (node?.os_pid !== undefined) {
        const pid = Number(node.os_pid);
        cpuSeconds(pid);
        return pid;
      }
    } catch {
      return undefined; // no management API, or a broker on another machine
    }
    if (Date.now() >= deadline) return undefined;
    await sleep(250);
  }
}

/**
 * Runs `work` and returns its result with the CPU time (µs) it cost each process, per message.
 * @template T
 * @param {Record<string, number | undefined>} pids
 * @param {number} messages
 * @param {() => Promise<T>} work
 * @returns {Promise<T & { cpuUsPerMessage: Record<string, number> }>}
 */
async function withCpuPerMessage(pids, messages, work) {
  const read = () => Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, pid ? cpuSeconds(pid) : NaN]));
  const before = read();
  const ownBefore = process.cpuUsage();
  const result = await work();
  const after = read();
  const own = process.cpuUsage(ownBefore);
  /** @type {Record<string, number>} */
  const cpuUsPerMessage = { benchProcess: (own.user + own.system) / messages };
  for (const name of Object.keys(pids)) cpuUsPerMessage[name] = ((after[name] - before[name]) * 1e6) / messages;
  return { ...result, cpuUsPerMessage };
}

/**
 * @template T
 * @param {Promise<T>} promise
 * @param {number} ms
 * @param {string} what
 * @returns {Promise<T>}
 */
function withTimeout(promise, ms, what) {
  /** @type {NodeJS.Timeout | undefined} */
  let timer;
  return Promise.race([
    promise,
    /** @type {Promise<never>} */ (
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms)))
    ),
  ]).finally(() => clearTimeout(timer));
}

/**
 * @param {import('./run.cjs').Common} options
 */
async function benchQueue({ createVhost, managementUrl, smoke, rounds, pinning }) {
  const { workQueueArguments } = require('@hello/messaging');
  const rate = smoke ? 200 : 1000;
  const seconds = smoke ? 1 : 10;
  const count = smoke ? 300 : 20_000;
  const sequential = smoke ? 20 : 500;

  const env = { ...process.env, NODE_ENV: 'production' };
  const queueArguments = JSON.stringify(workQueueArguments('hello'));
  /** @param {string} url */
  const peerEnv = (url) => ({
    ...env,
    PEER_AMQP_URL: url,
    PEER_PREFETCH: String(PREFETCH),
    PEER_QUEUE_ARGUMENTS: queueArguments,
  });
  /** @type {Record<Side, { makePublisher: (url: string) => Promise<Publisher>, start: (url: string) => Promise<import('./lib.cjs').StartedProcess> }>} */
  const setups = {
    consumer: {
      makePublisher: projectPublisher,
      start: async (url) =>
        startProcess('consumer', [...profileArgs('consumer'), path.join(ROOT, 'dist/apps/consumer/main.js')], {
          env: {
            ...env,
            RABBITMQ_URL: url,
            CONSUMER_HTTP_PORT: String(await freePort()),
            CONSUMER_PREFETCH: String(PREFETCH),
          },
          ready: /listening/i,
        }),
    },
    raw: {
      makePublisher: (url) => rawPublisher(url),
      start: (url) =>
        startProcess('raw amqplib consumer', [...profileArgs('raw'), path.join(__dirname, 'raw-amqp-consumer.cjs')], {
          env: { ...env, RAW_AMQP_URL: url, RAW_PREFETCH: String(PREFETCH), RAW_QUEUE_ARGUMENTS: queueArguments },
          ready: /READY/,
        }),
    },
    nestRmq: {
      makePublisher: (url) => rawPublisher(url, { envelope: true }),
      start: (url) =>
        startProcess('Nest RMQ peer', peerArgs('nest-rmq-consumer.ts'), { env: peerEnv(url), ready: /READY/ }),
    },
    golevelup: {
      makePublisher: (url) => rawPublisher(url),
      start: (url) =>
        startProcess('golevelup peer', peerArgs('golevelup/golevelup-consumer.ts'), {
          env: peerEnv(url),
          ready: /READY/,
        }),
    },
  };
  const names = /** @type {Side[]} */ (Object.keys(SIDES));
  /**
   * @typedef {{ vhost: Awaited<ReturnType<typeof createVhost>>, url: string, process: import('./lib.cjs').StartedProcess,
   *   observer: Observer, publisher: Publisher }} SideState
   */
  const sides = /** @type {Record<Side, SideState>} */ ({});
  const brokerPid = await localBrokerPid(managementUrl);
  try {
    for (const name of names) {
      const vhost = await createVhost(`bench-${name}`);
      sides[name] = /** @type {SideState} */ ({ vhost, url: vhost.url });
      sides[name].process = await setups[name].start(vhost.url);
      if (pinning.enabled) pin(sides[name].process.pid, pinning.measured);
      await waitForConsumer(managementUrl, vhost.vhost, 'hello');
      sides[name].observer = await createObserver(vhost.url);
      sides[name].publisher = await setups[name].makePublisher(vhost.url);
    }
    // Warm-up: JIT, connections, queue leader.
    for (const side of Object.values(sides)) await saturation(side.publisher, side.observer, smoke ? 50 : 2000);

    /**
     * @typedef {{ rate: Awaited<ReturnType<typeof offeredRate>>[],
     *   saturation: Awaited<ReturnType<typeof withCpuPerMessage<Awaited<ReturnType<typeof saturation>>>>>[],
     *   oneAtATime: Awaited<ReturnType<typeof oneAtATime>>[] }} SideSamples
     */
    const samples = /** @type {Record<Side, SideSamples>} */ (
      Object.fromEntries(
        names.map((name) => [name, /** @type {SideSamples} */ ({ rate: [], saturation: [], oneAtATime: [] })]),
      )
    );
    /** @type {Awaited<ReturnType<typeof waitForQuiet>>[]} */
    const machine = [];
    for (let round = 0; round < rounds; round++) {
      // The smoke run only records the load: it runs beside other tests.
      machine.push(await waitForQuiet(`queue, round ${round + 1}/${rounds}`, { timeoutMs: smoke ? 0 : 120_000 }));
      // Rotate the order of the sides each round so machine noise hits them alike.
      const order = names.map((_, i) => names[(i + round) % names.length]);
      for (const name of order) {
        const side = sides[name];
        samples[name].saturation.push(
          await withCpuPerMessage({ consumer: side.process.pid, broker: brokerPid }, count, () =>
            saturation(side.publisher, side.observer, count),
          ),
        );
        samples[name].rate.push(await offeredRate(side.publisher, side.observer, rate, seconds));
        samples[name].oneAtATime.push(await oneAtATime(side.publisher, side.observer, sequential));
      }
    }
    /**
     * @param {SideSamples} s
     * @param {string} name
     */
    const cpu = (s, name) => median(s.saturation.map((x) => x.cpuUsPerMessage[name]));
    /**
     * @param {Side} name
     * @param {SideSamples} [s]
     */
    const summary = (name, s = samples[name]) => ({
      messagesPerSecond: median(s.saturation.map((x) => x.messagesPerSecond)),
      saturationP50Ms: median(s.saturation.map((x) => x.p50Ms)),
      saturationP99Ms: median(s.saturation.map((x) => x.p99Ms)),
      offeredRate: rate,
      offeredP50Ms: median(s.rate.map((x) => x.p50Ms)),
      offeredP99Ms: median(s.rate.map((x) => x.p99Ms)),
      oneAtATimeP50Ms: median(s.oneAtATime.map((x) => x.p50Ms)),
      oneAtATimeP99Ms: median(s.oneAtATime.map((x) => x.p99Ms)),
      // At saturation: the consumer process; this process (publisher and observer); the broker.
      consumerCpuUsPerMessage: cpu(s, 'consumer'),
      benchProcessCpuUsPerMessage: cpu(s, 'benchProcess'),
      brokerCpuUsPerMessage: cpu(s, 'broker'),
      // The headline figures over the rounds.
      consumerCpuSpread: spread(s.saturation.map((x) => x.cpuUsPerMessage['consumer'])),
      messagesPerSecondSpread: spread(s.saturation.map((x) => x.messagesPerSecond)),
      rssMiB: rssMiB(sides[name].process.pid),
    });
    const results = /** @type {Record<Side, ReturnType<typeof summary>>} */ (
      Object.fromEntries(names.map((n) => [n, summary(n)]))
    );
    const ratios = /** @type {Partial<Record<Side, number>>} */ (
      Object.fromEntries(
        names.slice(1).map((n) => [n, results.consumer.messagesPerSecond / results[n].messagesPerSecond]),
      )
    );
    return {
      prefetch: PREFETCH,
      publishWindow: PUBLISH_WINDOW,
      messagesPerSaturationRun: count,
      offeredRunSeconds: seconds,
      messagesOneAtATime: sequential,
      rounds,
      sides: SIDES,
      project: results.consumer,
      raw: results.raw,
      nestRmq: results.nestRmq,
      golevelup: results.golevelup,
      ratio: ratios.raw,
      ratios,
      consumerRssMiB: results.consumer.rssMiB,
      samples,
      machine,
    };
  } finally {
    for (const side of Object.values(sides)) {
      await side.publisher?.close().catch(() => undefined);
      await side.observer?.close().catch(() => undefined);
      await stopProcess(side.process);
      await side.vhost.delete().catch(() => undefined);
    }
  }
}

module.exports = {
  SIDES,
  benchQueue,
  createObserver,
  projectPublisher,
  saturation,
  waitForConsumer,
  managementGet,
};

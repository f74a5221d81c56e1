// Queue pipeline: the project's publishing path (ConfirmedPublisher of @hello/messaging) and the
// consumer app's full handling path (its production build) against a raw amqplib publisher and
// consumer with the same durability: the same quorum queue and arguments, persistent messages,
// publisher confirms on both hops, manual acks, the same prefetch. Both sides put the same messages
// on the wire (AMQP properties and the W3C traceparent header, on both hops). Each side runs in a vhost of
// its own on the same broker. A message counts as handled when its message.handled event (which
// both consumers publish, confirmed, before they ack) reaches an observer queue.
//
// Three loads per side: saturation (as fast as confirms allow, PUBLISH_WINDOW publishes in flight:
// the queue backs up, so latency there is mostly waiting in the queue), an offered rate (1000 msg/s),
// and one message at a time (the time through an idle pipeline). During the saturation runs the CPU
// time of each consumer process, of this process (publisher and observer) and, when the broker runs
// on this machine, of the broker is divided by the messages: on a machine with few cores the sides
// compete for CPU, so CPU per message is the steadier figure.
//
// HELLO_CPU_PROF=<dir>: see profileArgs.
'use strict';
const { randomUUID } = require('node:crypto');
const path = require('node:path');
const amqp = require('amqplib');
const { ROOT, cpuSeconds, freePort, percentile, median, rawTraceparent, rssMiB, startProcess, stopProcess, sleep } = require('./lib.cjs');

const PREFETCH = 20;
const PUBLISH_WINDOW = 500;

async function managementGet(apiBase, resource) {
  const url = new URL(`api/${resource}`, apiBase.endsWith('/') ? apiBase : `${apiBase}/`);
  const auth = Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64');
  url.username = '';
  url.password = '';
  const res = await fetch(url, { headers: { authorization: `Basic ${auth}` } });
  if (!res.ok) throw new Error(`management API ${resource}: HTTP ${res.status}`);
  return res.json();
}

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

/** Watches message.handled events and resolves each message's latency. */
async function createObserver(url) {
  const connection = await amqp.connect(url);
  const channel = await connection.createChannel();
  await channel.assertExchange('hello.events', 'topic', { durable: true });
  const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
  await channel.bindQueue(queue, 'hello.events', 'message.handled');
  const pending = new Map();
  let handled = 0;
  await channel.consume(
    queue,
    (message) => {
      const id = message.properties.correlationId;
      const started = pending.get(id);
      if (started === undefined) return;
      pending.delete(id);
      handled++;
      started.resolve(performance.now() - started.at);
    },
    { noAck: true },
  );
  return {
    expect(messageId) {
      let resolve;
      const done = new Promise((r) => (resolve = r));
      pending.set(messageId, { at: performance.now(), resolve });
      return done;
    },
    get handled() {
      return handled;
    },
    close: () => connection.close(),
  };
}

/** The project's publishing path. */
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

/** The raw amqplib publisher: the same message on the wire (properties and headers), confirmed. */
async function rawPublisher(url) {
  const connection = await amqp.connect(url);
  const channel = await connection.createConfirmChannel();
  return {
    publish: (messageId, text) =>
      new Promise((resolve, reject) =>
        channel.publish(
          '',
          'hello',
          Buffer.from(JSON.stringify({ text })),
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
      ),
    close: () => connection.close(),
  };
}

/** Publishes at `rate` messages/s for `seconds`; returns end-to-end latencies. */
async function offeredRate(publisher, observer, rate, seconds) {
  const total = Math.round(rate * seconds);
  const tickMs = 10;
  const perTick = rate / (1000 / tickMs);
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
  return { offered: rate, achieved: total / elapsed, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99) };
}

/** Publishes `count` messages as fast as confirms allow (a window of PUBLISH_WINDOW). */
async function saturation(publisher, observer, count) {
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

/** Publishes `count` messages one after the other, each once the previous one was handled. */
async function oneAtATime(publisher, observer, count) {
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

/** The broker's OS process when it runs on this machine (its CPU time is then readable), else undefined. */
async function localBrokerPid(managementUrl) {
  try {
    const [node] = await managementGet(managementUrl, 'nodes');
    const pid = Number(node?.os_pid);
    cpuSeconds(pid);
    return pid;
  } catch {
    return undefined;
  }
}

/** Runs `work` and returns its result with the CPU time (µs) it cost each process, per message. */
async function withCpuPerMessage(pids, messages, work) {
  const read = () => Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, pid ? cpuSeconds(pid) : NaN]));
  const before = read();
  const ownBefore = process.cpuUsage();
  const result = await work();
  const after = read();
  const own = process.cpuUsage(ownBefore);
  const cpuUsPerMessage = { benchProcess: (own.user + own.system) / messages };
  for (const name of Object.keys(pids)) cpuUsPerMessage[name] = ((after[name] - before[name]) * 1e6) / messages;
  return { ...result, cpuUsPerMessage };
}

/**
 * With HELLO_CPU_PROF=<dir>, the consumers run under the V8 profiler and write a .cpuprofile into
 * <dir>/<side> when they exit (open it in Chrome DevTools, or sum self time per function: it is JSON).
 */
function profileArgs(side) {
  const dir = process.env.HELLO_CPU_PROF;
  return dir ? ['--cpu-prof', `--cpu-prof-dir=${path.join(dir, side)}`] : [];
}

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms))),
  ]).finally(() => clearTimeout(timer));
}

/**
 * @param {{ createVhost: (name: string) => Promise<{url: string, vhost: string, delete(): Promise<void>}>,
 *           managementUrl: string, smoke: boolean, rounds: number }} options
 */
async function benchQueue({ createVhost, managementUrl, smoke, rounds }) {
  const { workQueueArguments } = require('@hello/messaging');
  const rate = smoke ? 200 : 1000;
  const seconds = smoke ? 1 : 10;
  const count = smoke ? 300 : 20_000;
  const sequential = smoke ? 20 : 500;

  const projectVhost = await createVhost('bench-project');
  const rawVhost = await createVhost('bench-raw');
  const env = { ...process.env, NODE_ENV: 'production' };
  const consumer = await startProcess('consumer', [...profileArgs('consumer'), path.join(ROOT, 'dist/apps/consumer/main.js')], {
    env: {
      ...env,
      RABBITMQ_URL: projectVhost.url,
      CONSUMER_HTTP_PORT: String(await freePort()),
      CONSUMER_PREFETCH: String(PREFETCH),
    },
    ready: /listening/i,
  });
  const raw = await startProcess('raw amqplib consumer', [...profileArgs('raw'), path.join(__dirname, 'raw-amqp-consumer.cjs')], {
    env: {
      ...env,
      RAW_AMQP_URL: rawVhost.url,
      RAW_PREFETCH: String(PREFETCH),
      RAW_QUEUE_ARGUMENTS: JSON.stringify(workQueueArguments('hello')),
    },
    ready: /READY/,
  });
  await waitForConsumer(managementUrl, projectVhost.vhost, 'hello');
  await waitForConsumer(managementUrl, rawVhost.vhost, 'hello');

  const sides = {
    consumer: { url: projectVhost.url, makePublisher: projectPublisher, process: consumer },
    raw: { url: rawVhost.url, makePublisher: rawPublisher, process: raw },
  };
  const brokerPid = await localBrokerPid(managementUrl);
  for (const side of Object.values(sides)) {
    side.observer = await createObserver(side.url);
    side.publisher = await side.makePublisher(side.url);
  }
  try {
    // Warm-up: JIT, connections, queue leader.
    for (const side of Object.values(sides)) await saturation(side.publisher, side.observer, smoke ? 50 : 2000);

    const samples = { consumer: { rate: [], saturation: [], oneAtATime: [] }, raw: { rate: [], saturation: [], oneAtATime: [] } };
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? ['consumer', 'raw'] : ['raw', 'consumer'];
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
    const cpu = (s, name) => median(s.saturation.map((x) => x.cpuUsPerMessage[name]));
    const summary = (s) => ({
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
    });
    const project = summary(samples.consumer);
    const baseline = summary(samples.raw);
    return {
      prefetch: PREFETCH,
      publishWindow: PUBLISH_WINDOW,
      messagesPerSaturationRun: count,
      offeredRunSeconds: seconds,
      messagesOneAtATime: sequential,
      rounds,
      project,
      raw: baseline,
      ratio: project.messagesPerSecond / baseline.messagesPerSecond,
      consumerRssMiB: rssMiB(consumer.pid),
      samples,
    };
  } finally {
    for (const side of Object.values(sides)) {
      await side.publisher?.close().catch(() => undefined);
      await side.observer?.close().catch(() => undefined);
    }
    await stopProcess(consumer);
    await stopProcess(raw);
    await projectVhost.delete().catch(() => undefined);
    await rawVhost.delete().catch(() => undefined);
  }
}

module.exports = { benchQueue, createObserver, projectPublisher, saturation, waitForConsumer, managementGet };

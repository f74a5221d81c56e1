// The message pipeline's parts the benchmark sections share: the management API, the project's and a
// raw publisher, an observer of the message.handled events, and the three loads (saturation, an
// offered rate, one at a time) with the CPU time they cost each process.
'use strict';
const { randomUUID } = require('node:crypto');
const amqp = require('amqplib');
const { cpuSeconds, percentile, rawTraceparent, sleep } = require('./lib.cjs');

/** Publishes in flight at once in a saturation run. */
const PUBLISH_WINDOW = 500;

/**
 * @typedef {{ publish(messageId: string, text: string): Promise<unknown>, close(): Promise<unknown> }} Publisher
 * @typedef {Awaited<ReturnType<typeof createObserver>>} Observer
 */

/**
 * A GET of the management API (the test library's client); resolves with its JSON.
 * @param {string} managementUrl http://user:password@host:port
 * @param {string} resource
 * @returns {Promise<any>}
 */
function managementGet(managementUrl, resource) {
  const { managementApi, managementRequest } = require('@hello/testing');
  return managementRequest(managementApi(managementUrl), 'GET', resource);
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
 * Declares the event log (the stream `hello.events.log`, bound to `hello.events` with `#`) in the vhost
 * of `url`, as the project's apps declare it: then every side's events are stored in a stream, not only
 * the project's, and the broker does the same work for each side.
 * @param {string} url
 */
async function declareEventLog(url) {
  const { declareTopology, eventLogTopology } = require('@hello/messaging');
  const connection = await amqp.connect(url);
  try {
    const channel = await connection.createChannel();
    await declareTopology(channel, eventLogTopology());
  } finally {
    await connection.close();
  }
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

module.exports = {
  PUBLISH_WINDOW,
  declareEventLog,
  managementGet,
  waitForConsumer,
  createObserver,
  projectPublisher,
  rawPublisher,
  offeredRate,
  saturation,
  oneAtATime,
  localBrokerPid,
  withCpuPerMessage,
  withTimeout,
};

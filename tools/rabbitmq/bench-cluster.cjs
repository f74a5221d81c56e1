#!/usr/bin/env node
/**
 * Figures for the scale-out notes, run by hand (minutes; not part of `npm test` or `npm run bench`):
 *
 *   node tools/rabbitmq/bench-cluster.cjs [--messages N] [--kills K]
 *
 * 1. The queue pipeline (HTTP → producer → hello → consumers → message.handled confirmed) on one node
 *    and on a local 3-node cluster, with 1, 2 and 3 consumer replicas: messages per second from the
 *    first POST until the last message.handled reached a tap queue.
 * 2. On the cluster, the node leading `hello` killed (SIGKILL) K times under a steady load: time until a
 *    request sent after the kill is confirmed (producer resumed) and until a message sent after the
 *    kill is handled (consumers resumed). The killed node is started again between kills.
 * Apps run from their TypeScript sources (the ts-register hook of @hello/build), each in its own process.
 */
'use strict';

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const amqpManager = require('amqp-connection-manager');
const { freePort } = require('@hello/infra/host');
const { startBroker } = require('@hello/infra/rabbitmq');
const { startCluster } = require('@hello/infra/rabbitmq/cluster');
const { startProcess, stopProcess } = require('../bench/lib.cjs');

const ROOT = path.resolve(__dirname, '..', '..');
const REGISTER = require.resolve('@hello/build/ts-register');
const args = process.argv.slice(2);
/** @type {(name: string, fallback: number) => number} */
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const MESSAGES = option('messages', 5000);
const KILLS = option('kills', 4);
const CONCURRENCY = 32;

/**
 * An app from its TypeScript source on `port`, once its /health/ready answers 200.
 * @param {string} entry
 * @param {number} port
 * @param {Record<string, string>} env
 */
function startApp(entry, port, env) {
  return startProcess(entry, ['-r', REGISTER, path.join(ROOT, entry)], {
    env: { ...process.env, NO_COLOR: '1', ...env },
    ready: async () => (await fetch(`http://127.0.0.1:${port}/health/ready`)).status === 200,
    timeoutMs: 150_000,
  });
}

/**
 * Producer + `consumers` consumer replicas on `url`, and a tap on message.handled.
 * @param {string} url
 * @param {number} consumers
 * @param {string} tapUrl
 */
async function startApps(url, consumers, tapUrl) {
  const producerPort = await freePort();
  /** @type {Promise<import('../bench/lib.cjs').StartedProcess>[]} */
  const starting = [
    startApp('apps/producer/src/main.ts', producerPort, {
      RABBITMQ_URL: url,
      PRODUCER_HTTP_PORT: String(producerPort),
      PRODUCER_PUBLISH_TIMEOUT_MS: '60000',
    }),
  ];
  const urls = url.split(',');
  for (let i = 0; i < consumers; i++) {
    const port = await freePort();
    const list = [...urls.slice(i % urls.length), ...urls.slice(0, i % urls.length)].join(',');
    starting.push(
      startApp('apps/consumer/src/main.ts', port, { RABBITMQ_URL: list, CONSUMER_HTTP_PORT: String(port) }),
    );
  }
  const apps = await Promise.all(starting);
  // The tap fails over like the apps do (amqp-connection-manager over every node's URL).
  const connection = amqpManager.connect(tapUrl.split(','), { reconnectTimeInSeconds: 0.5 });
  const tap = `bench.tap.${process.pid}.${Date.now()}`;
  /** @type {Map<string, number>} */
  const handled = new Map();
  const channel = connection.createChannel({
    /** @param {import('amqplib').ConfirmChannel} ch */
    setup: async (ch) => {
      await ch.assertExchange('hello.events', 'topic', { durable: true });
      await ch.assertQueue(tap, {
        durable: true,
        arguments: { 'x-queue-type': 'quorum', 'x-quorum-initial-group-size': 3 },
      });
      await ch.bindQueue(tap, 'hello.events', 'message.handled');
      await ch.prefetch(1000);
      await ch.consume(tap, (m) => {
        if (!m) return;
        const id = m.properties.correlationId;
        if (!handled.has(id)) handled.set(id, Date.now());
        ch.ack(m);
      });
    },
  });
  await channel.waitForConnect();
  return {
    apps,
    producerPort,
    handled,
    async close() {
      await channel.deleteQueue(tap).catch(() => undefined);
      await connection.close().catch(() => undefined);
      await Promise.all(apps.map((app) => stopProcess(app, 0)));
    },
  };
}

/**
 * @param {number} port
 * @param {string} text
 * @returns {Promise<string | undefined>}
 */
async function post(port, text) {
  const res = await fetch(`http://127.0.0.1:${port}/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ text }),
  });
  const body = await res.json();
  return res.status === 202 ? body.id : undefined;
}

/**
 * @param {string} url
 * @param {number} consumers
 */
async function pipeline(url, consumers) {
  const stack = await startApps(url, consumers, url);
  try {
    // Warm-up, not counted.
    for (let i = 0; i < 200; i++) await post(stack.producerPort, 'warm-up');
    await new Promise((r) => setTimeout(r, 1000));
    /** @type {string[]} */
    const ids = [];
    let next = 0;
    const started = Date.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < MESSAGES) {
          next++;
          const id = await post(stack.producerPort, 'bench');
          if (id) ids.push(id);
        }
      }),
    );
    const published = Date.now();
    while (!ids.every((id) => stack.handled.has(id))) await new Promise((r) => setTimeout(r, 50));
    const last = Math.max(...ids.map((id) => /** @type {number} */ (stack.handled.get(id))));
    return {
      confirmed: ids.length,
      publishPerSecond: Math.round((ids.length * 1000) / (published - started)),
      endToEndPerSecond: Math.round((ids.length * 1000) / (last - started)),
    };
  } finally {
    await stack.close();
  }
}

/** @param {Awaited<ReturnType<typeof startCluster>>} cluster */
async function failover(cluster) {
  const stack = await startApps(cluster.url, 2, cluster.url);
  const results = [];
  let running = true;
  /** @type {{ at: number, confirmedAt: number, id: string | undefined }[]} */
  const sent = [];
  const load = Array.from({ length: 8 }, async () => {
    while (running) {
      const at = Date.now();
      const id = await post(stack.producerPort, 'failover').catch(() => undefined);
      sent.push({ at, confirmedAt: Date.now(), id });
    }
  });
  try {
    for (let k = 0; k < KILLS; k++) {
      await new Promise((r) => setTimeout(r, 5000));
      const leader = await cluster.leaderOf('hello');
      if (!leader) throw new Error('no node leads the queue hello');
      const killedAt = Date.now();
      await leader.kill();
      /** @type {number | undefined} */
      let producer;
      /** @type {number | undefined} */
      let consumer;
      while (producer === undefined || consumer === undefined) {
        await new Promise((r) => setTimeout(r, 20));
        // The requests sent after the kill that the producer confirmed (an id).
        const after = /** @type {{ at: number, confirmedAt: number, id: string }[]} */ (
          sent.filter((s) => s.at > killedAt && s.id)
        );
        if (producer === undefined && after.length) producer = Math.min(...after.map((s) => s.confirmedAt)) - killedAt;
        const handledAfter = after
          .filter((s) => stack.handled.has(s.id))
          .map((s) => /** @type {number} */ (stack.handled.get(s.id)));
        if (consumer === undefined && handledAfter.length) consumer = Math.min(...handledAfter) - killedAt;
        if (Date.now() - killedAt > 120_000) throw new Error('no recovery within 120 s');
      }
      results.push({ killed: leader.nodeName, producerResumedMs: producer, consumersResumedMs: consumer });
      process.stderr.write(`[bench] kill ${k + 1}: ${JSON.stringify(results.at(-1))}\n`);
      await leader.start();
      await new Promise((r) => setTimeout(r, 3000));
    }
  } finally {
    running = false;
    await Promise.all(load);
    await stack.close();
  }
  return results;
}

/** @param {number[]} values */
const stat = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: sorted[Math.floor((sorted.length - 1) / 2)], max: sorted.at(-1) };
};

async function main() {
  if (args.includes('--failover-only')) {
    const cluster = await startCluster({
      nodes: 3,
      name: `bench-cluster-${process.pid}`,
      epmdPort: await freePort(),
      management: false,
    });
    try {
      const kills = await failover(cluster);
      process.stdout.write(
        `${JSON.stringify({ kills, producerResumedMs: stat(kills.map((k) => k.producerResumedMs)), consumersResumedMs: stat(kills.map((k) => k.consumersResumedMs)), load: os.loadavg() }, null, 2)}\n`,
      );
    } finally {
      await cluster.stop();
      for (const node of cluster.nodes) fs.rmSync(node.dir, { recursive: true, force: true });
    }
    return;
  }
  /** @type {{ machine: string, messages: number, pipeline: object[], failover?: object, loadAtEnd?: string }} */
  const figures = {
    machine: `${os.cpus().length} cores, load ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} at start`,
    messages: MESSAGES,
    pipeline: [],
  };
  const single = await startBroker({ name: `bench-single-${process.pid}`, management: false });
  try {
    for (const consumers of [1, 2, 3]) {
      const row = { broker: 'single node', consumers, ...(await pipeline(single.url, consumers)) };
      figures.pipeline.push(row);
      process.stderr.write(`[bench] ${JSON.stringify(row)}\n`);
    }
  } finally {
    await single.stop();
    fs.rmSync(single.dir, { recursive: true, force: true });
  }
  const cluster = await startCluster({
    nodes: 3,
    name: `bench-cluster-${process.pid}`,
    epmdPort: await freePort(),
    management: false,
  });
  try {
    for (const consumers of [1, 2, 3]) {
      const row = { broker: '3-node cluster', consumers, ...(await pipeline(cluster.url, consumers)) };
      figures.pipeline.push(row);
      process.stderr.write(`[bench] ${JSON.stringify(row)}\n`);
    }
    const kills = await failover(cluster);
    figures.failover = {
      kills,
      producerResumedMs: stat(kills.map((k) => k.producerResumedMs)),
      consumersResumedMs: stat(kills.map((k) => k.consumersResumedMs)),
    };
  } finally {
    await cluster.stop();
    for (const node of cluster.nodes) fs.rmSync(node.dir, { recursive: true, force: true });
  }
  figures.loadAtEnd = os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
  process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`);
}

main().catch((error) => {
  process.stderr.write(`${error.stack}\n`);
  process.exit(1);
});

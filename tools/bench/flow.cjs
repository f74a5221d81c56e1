// End to end (a SayHello until the event-handler's projection shows it) and memory (consumer and
// event-handler RSS after warm-up and after many messages), on the production builds.
'use strict';
const { randomUUID } = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const grpc = require('@grpc/grpc-js');
const loader = require('@grpc/proto-loader');
const {
  ROOT,
  freePort,
  percentile,
  rssMiB,
  startEventHandler,
  startProcess,
  stopProcess,
  sleep,
} = require('./lib.cjs');
const { appNodeArgs } = require('../stack/apps.cjs');
const { createObserver, projectPublisher, saturation, waitForConsumer } = require('./pipeline.cjs');

/** @param {import('./run.cjs').Common} options */
async function benchEndToEnd({ createVhost, managementUrl, smoke }) {
  const calls = smoke ? 5 : 300;
  const vhost = await createVhost('bench-e2e');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hello-bench-e2e-'));
  const grpcPort = await freePort();
  const greeter = await startProcess('greeter', appNodeArgs(ROOT, 'greeter'), {
    env: {
      ...process.env,
      NODE_ENV: 'production',
      RABBITMQ_URL: vhost.url,
      GREETER_GRPC_URL: `127.0.0.1:${grpcPort}`,
      GREETER_HTTP_PORT: '0',
    },
    ready: /listening on/i,
  });
  const eventHandler = await startEventHandler({ RABBITMQ_URL: vhost.url, EVENT_HANDLER_DATA_DIR: dataDir });
  await waitForConsumer(managementUrl, vhost.vhost, 'event-handler.events');
  const definition = loader.loadSync(path.join(ROOT, 'proto', 'helloworld.proto'), { keepCase: true });
  // Loaded from the .proto at run time: its shape is the proto's, which grpc-js cannot know.
  const { Greeter } = /** @type {import('./grpc.cjs').HelloworldPackage} */ (
    /** @type {unknown} */ (grpc.loadPackageDefinition(definition))
  ).helloworld;
  const client = new Greeter(`127.0.0.1:${grpcPort}`, grpc.credentials.createInsecure());
  try {
    /** @type {number[]} */
    const latencies = [];
    for (let i = 0; i < calls; i++) {
      const name = `bench-${randomUUID().slice(0, 8)}`;
      const started = performance.now();
      await new Promise((resolve, reject) =>
        client.SayHello({ name }, { deadline: Date.now() + 5000 }, (e) => (e ? reject(e) : resolve(undefined))),
      );
      const deadline = Date.now() + 10_000;
      for (;;) {
        const res = await fetch(`${eventHandler.base}/greetings/${encodeURIComponent(name)}`);
        await res.arrayBuffer();
        if (res.status === 200) break;
        if (Date.now() > deadline) throw new Error(`greeting of ${name} never reached the projection`);
        await sleep(1);
      }
      latencies.push(performance.now() - started);
    }
    latencies.sort((a, b) => a - b);
    return { calls, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99), pollIntervalMs: 1 };
  } finally {
    client.close();
    await stopProcess(greeter);
    await stopProcess(eventHandler.child);
    await vhost.delete().catch(() => undefined);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/** @param {import('./run.cjs').Common & { total?: number }} options */
async function benchMemory({ createVhost, managementUrl, smoke, total: requested }) {
  const total = requested ?? (smoke ? 1000 : 100_000);
  const warmup = smoke ? 200 : 10_000;
  const vhost = await createVhost('bench-memory');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hello-bench-memory-'));
  const consumer = await startProcess('consumer', appNodeArgs(ROOT, 'consumer'), {
    env: {
      ...process.env,
      NODE_ENV: 'production',
      RABBITMQ_URL: vhost.url,
      CONSUMER_HTTP_PORT: String(await freePort()),
    },
    ready: /listening/i,
  });
  const eventHandler = await startEventHandler({ RABBITMQ_URL: vhost.url, EVENT_HANDLER_DATA_DIR: dataDir });
  await waitForConsumer(managementUrl, vhost.vhost, 'hello');
  await waitForConsumer(managementUrl, vhost.vhost, 'event-handler.events');
  const observer = await createObserver(vhost.url);
  const publisher = await projectPublisher(vhost.url);
  /** @returns {Promise<{ messages?: { handled?: number } }>} */
  const stats = async () => (await fetch(`${eventHandler.base}/stats`)).json();
  /** @param {number} count */
  const waitForCount = async (count) => {
    const deadline = Date.now() + 120_000;
    for (;;) {
      const s = await stats();
      if ((s.messages?.handled ?? 0) >= count) return;
      if (Date.now() > deadline) throw new Error(`event-handler counted ${JSON.stringify(s)} of ${count}`);
      await sleep(200);
    }
  };
  try {
    await saturation(publisher, observer, warmup);
    await waitForCount(warmup);
    await sleep(1000);
    /** @param {number} messages */
    const sample = (messages) => ({
      messages,
      consumer: rssMiB(consumer.pid),
      eventHandler: rssMiB(eventHandler.child.pid),
    });
    // RSS after the warm-up and after every batch: a leak keeps climbing to the end, while a heap
    // that is still growing into its working size levels off.
    const series = [sample(warmup)];
    let sent = warmup;
    while (sent < total) {
      const batch = Math.min(smoke ? 400 : 10_000, total - sent);
      await saturation(publisher, observer, batch);
      sent += batch;
      await waitForCount(sent);
      series.push(sample(sent));
    }
    await sleep(1000);
    const afterAll = sample(total);
    series[series.length - 1] = afterAll;
    const half = series.find((s) => s.messages >= total / 2) ?? series[0];
    return {
      messages: total,
      warmupMessages: warmup,
      afterWarmupMiB: { consumer: series[0].consumer, eventHandler: series[0].eventHandler },
      atHalfMiB: { messages: half.messages, consumer: half.consumer, eventHandler: half.eventHandler },
      afterAllMiB: { consumer: afterAll.consumer, eventHandler: afterAll.eventHandler },
      series,
    };
  } finally {
    await publisher.close().catch(() => undefined);
    await observer.close().catch(() => undefined);
    await stopProcess(consumer);
    await stopProcess(eventHandler.child);
    await vhost.delete().catch(() => undefined);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

module.exports = { benchEndToEnd, benchMemory };

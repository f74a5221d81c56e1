// The event-handler's throughput per database: a backlog of integration events waits in
// event-handler.events; the production build starts, applies it through the real queue (inbox,
// projection and outbox in one transaction per event, ack after the commit). Sides: SQLite, PostgreSQL with one replica,
// PostgreSQL with two replicas sharing the queue and the database. The span is read from the
// inbox's applied_at times (first to last event), so start-up does not count. The event-handlers and
// PostgreSQL run on every core (lib.cjs placeChildren): the bench only polls while they work, and the
// side is the app and its database together.
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const amqp = require('amqplib');
const { median, startEventHandler, stopProcess, sleep } = require('./lib.cjs');
const { waitForConsumer } = require('./pipeline.cjs');
const { pinWithChildren } = require('./rounds.cjs');

/** Per-event log lines would measure the logger: the sections here read readiness from /health. */
const QUIET = { LOG_LEVEL: 'warn' };

/** @param {Record<string, string>} env */
async function appliedSpan(env) {
  const query = 'SELECT min(applied_at) AS first, max(applied_at) AS last FROM inbox';
  /** @type {{ first: string, last: string }} */
  let row;
  if (env['EVENT_HANDLER_DATABASE_URL']) {
    const { Client } = require('pg');
    const client = new Client({ connectionString: env['EVENT_HANDLER_DATABASE_URL'] });
    await client.connect();
    row = (await client.query(query)).rows[0];
    await client.end();
  } else {
    const Database = require('better-sqlite3');
    const db = new Database(path.join(env['EVENT_HANDLER_DATA_DIR'], 'projections.sqlite'), { readonly: true });
    row = /** @type {{ first: string, last: string }} */ (db.prepare(query).get());
    db.close();
  }
  return { first: Date.parse(row.first), last: Date.parse(row.last) };
}

/**
 * @param {string} base
 * @returns {Promise<number>}
 */
async function eventsApplied(base) {
  const res = await fetch(`${base}/stats`);
  return (await res.json()).eventsApplied;
}

/**
 * Half greetings (a tenth of them first greetings: a welcome in the outbox), half message.handled.
 * @param {number} total
 */
function backlog(total) {
  const {
    GreetingGreetedIntegrationEvent,
    MessageHandledIntegrationEvent,
    integrationEventMessage,
  } = require('@hello/contracts');
  const names = Math.max(1, Math.floor(total / 20));
  return Array.from({ length: total }, (_, i) =>
    integrationEventMessage(
      i % 2 === 0
        ? GreetingGreetedIntegrationEvent.create({ name: `bench-${(i / 2) % names}`, message: 'Hello!' })
        : MessageHandledIntegrationEvent.create({ messageId: `bench-message-${i}`, text: 'hi' }),
    ),
  );
}

/**
 * @param {string} url
 * @param {ReturnType<typeof backlog>} messages
 */
async function publishBacklog(url, messages) {
  const connection = await amqp.connect(url);
  const channel = await connection.createConfirmChannel();
  try {
    const { Topology } = require('@hello/contracts');
    const { workQueueArguments } = require('@hello/messaging');
    // Welcomes go to `hello`; nothing consumes it here, it only has to exist.
    await channel.assertQueue(Topology.helloQueue, {
      durable: true,
      arguments: workQueueArguments(Topology.helloQueue),
    });
    for (const m of messages) {
      const ok = channel.publish(m.exchange, m.routingKey, Buffer.from(JSON.stringify(m.body)), {
        messageId: m.messageId,
        type: m.type,
        contentType: 'application/json',
        persistent: true,
      });
      if (!ok) await new Promise((resolve) => channel.once('drain', resolve));
    }
    await channel.waitForConfirms();
  } finally {
    await connection.close();
  }
}

/**
 * One side, one round: declare the queue, stop, publish the backlog, start `replicas`, time it.
 * @param {Pick<import('./run.cjs').Common, 'createVhost' | 'managementUrl'> & { total: number, replicas: number,
 *   envFor: (dataDir: string) => Promise<Record<string, string>> }} options
 */
async function round({ createVhost, managementUrl, total, replicas, envFor }) {
  const vhost = await createVhost('bench-projections');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hello-bench-projections-'));
  /** @type {Awaited<ReturnType<typeof startEventHandler>>[]} */
  const started = [];
  try {
    const env = { RABBITMQ_URL: vhost.url, ...(await envFor(dataDir)) };
    // The first start declares event-handler.events and its bindings and migrates the database.
    const declaring = await startEventHandler({ ...env, ...QUIET });
    await waitForConsumer(managementUrl, vhost.vhost, 'event-handler.events');
    await stopProcess(declaring.child);
    await publishBacklog(vhost.url, backlog(total));

    started.push(
      ...(await Promise.all(Array.from({ length: replicas }, () => startEventHandler({ ...env, ...QUIET })))),
    );
    const deadline = Date.now() + 600_000;
    while ((await eventsApplied(started[0].base)) < total) {
      if (Date.now() > deadline) throw new Error(`not all of ${total} events were applied in time`);
      await sleep(50);
    }
    for (const s of started.splice(0)) await stopProcess(s.child);
    // The inbox says when each event was applied: from the first to the last, whatever the
    // start-up times of the replicas.
    const { first, last } = await appliedSpan(env);
    return { eventsPerSecond: ((total - 1) / (last - first)) * 1000, events: total };
  } finally {
    for (const s of started) await stopProcess(s.child);
    await vhost.delete().catch(() => undefined);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/** @param {import('./run.cjs').Common} options */
async function benchProjections({ createVhost, managementUrl, smoke, rounds, pinning }) {
  const { startPostgres } = require('@hello/infra/postgres');
  const { createTestDatabase } = require('@hello/testing');
  const total = smoke ? 200 : 6000;
  let server;
  if (!process.env['HELLO_TEST_DATABASE_URL']) {
    server = await startPostgres({ name: `bench-${process.pid}` });
    // Its processes, and those it forks for connections later, on every core.
    if (pinning.enabled) pinWithChildren(server.pid, pinning.every);
    process.env['HELLO_TEST_DATABASE_URL'] = server.url;
  }
  /** @type {Awaited<ReturnType<typeof createTestDatabase>>[]} */
  const databases = [];
  /** @param {string} dataDir */
  const postgresEnv = async (dataDir) => {
    const database = await createTestDatabase('bench_projections');
    databases.push(database);
    return { EVENT_HANDLER_DATA_DIR: dataDir, EVENT_HANDLER_DATABASE_URL: database.url };
  };
  const sides = {
    sqlite: { replicas: 1, envFor: async (/** @type {string} */ dataDir) => ({ EVENT_HANDLER_DATA_DIR: dataDir }) },
    postgres: { replicas: 1, envFor: postgresEnv },
    postgresTwoReplicas: { replicas: 2, envFor: postgresEnv },
  };
  /** @type {Record<string, number[]>} */
  const measured = Object.fromEntries(Object.keys(sides).map((k) => [k, []]));
  try {
    // Alternating rounds, so that a busy moment of the machine does not land on one side only.
    for (let r = 0; r < rounds; r++) {
      for (const [name, side] of Object.entries(sides)) {
        const result = await round({ createVhost, managementUrl, total, ...side });
        measured[name].push(result.eventsPerSecond);
        process.stderr.write(
          `[bench] projections ${name} round ${r + 1}: ${result.eventsPerSecond.toFixed(0)} events/s\n`,
        );
      }
    }
  } finally {
    for (const d of databases) await d.drop().catch(() => undefined);
    if (server) {
      await server.stop();
      server.remove();
      delete process.env['HELLO_TEST_DATABASE_URL'];
    }
  }
  return {
    events: total,
    rounds,
    prefetch: 20,
    sides: Object.fromEntries(
      Object.entries(measured).map(([name, rates]) => [name, { eventsPerSecond: median(rates), rounds: rates }]),
    ),
  };
}

module.exports = { QUIET, appliedSpan, backlog, benchProjections, eventsApplied, publishBacklog };

// Rebuilding projections from the event log against applying events live, per database, in one run:
// a backlog goes through event-handler.events and the log (applied live: one transaction per event,
// nothing else running), then the rest of the history straight into the log; then `POST /projections/rebuild` rebuilds every
// projection from the log's first entry (batched transactions) and its report gives the time. Also the
// stream's disk use per million events (when the benchmark runs its own broker).
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const amqp = require('amqplib');
const { median, sleep, startEventHandler, stopProcess } = require('./lib.cjs');
const { QUIET, appliedSpan, backlog, eventsApplied, publishBacklog } = require('./projections.cjs');
const { pinWithChildren } = require('./rounds.cjs');
const { waitForConsumer } = require('./pipeline.cjs');

/**
 * Publishes straight into the stream (the default exchange): the log gets them, no queue does.
 * @param {string} url
 * @param {ReturnType<typeof backlog>} messages
 */
async function publishToLog(url, messages) {
  const { Topology } = require('@hello/contracts');
  const connection = await amqp.connect(url);
  const channel = await connection.createConfirmChannel();
  try {
    for (const m of messages) {
      const ok = channel.publish('', Topology.eventLog, Buffer.from(JSON.stringify(m.body)), {
        messageId: m.messageId,
        type: m.type,
        contentType: 'application/json',
        timestamp: Math.floor(Date.now() / 1000),
      });
      if (!ok) await new Promise((resolve) => channel.once('drain', resolve));
    }
    await channel.waitForConfirms();
  } finally {
    await connection.close();
  }
}

/**
 * Bytes of the stream's segment files of `vhost` under the broker's data folder (undefined: not found).
 * @param {string | undefined} brokerDir
 * @param {string} vhost
 * @returns {number | undefined}
 */
function streamBytes(brokerDir, vhost) {
  if (!brokerDir) return undefined;
  // RabbitMQ names a stream's folder <vhost>_<queue>_<id>, other characters than letters and digits as `_`.
  /** @param {string} name */
  const normal = (name) => name.replace(/[^A-Za-z0-9]/g, '_');
  const prefix = `${normal(vhost)}_`;
  /** @type {number | undefined} */
  let total;
  /**
   * @param {string} dir
   * @param {boolean} inStream
   */
  const walk = (dir, inStream) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        const stream = normal(entry.name);
        walk(full, inStream || (stream.startsWith(prefix) && stream.includes('hello_events_log')));
      } else if (inStream) {
        total = (total ?? 0) + fs.statSync(full).size;
      }
    }
  };
  walk(brokerDir, false);
  return total;
}

/**
 * Polls `url` until its JSON satisfies `done`; resolves with that JSON.
 * @template T
 * @param {string} url
 * @param {(body: T) => boolean} done
 * @param {number} timeoutMs
 * @param {string} what
 * @returns {Promise<T>}
 */
async function waitForJson(url, done, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    /** @type {T} */
    const body = await (await fetch(url)).json();
    if (done(body)) return body;
    if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs / 1000} s (last: ${JSON.stringify(body)})`);
    await sleep(100);
  }
}

/**
 * One database, one round: the live rate of `live` events, then a rebuild of `total`.
 * @param {Pick<import('./run.cjs').Common, 'createVhost' | 'managementUrl' | 'brokerDir'> & { live: number, total: number,
 *   envFor: (dataDir: string) => Promise<Record<string, string>> }} options
 */
async function round({ createVhost, managementUrl, brokerDir, live, total, envFor }) {
  const vhost = await createVhost('bench-replay');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hello-bench-replay-'));
  /** @type {Awaited<ReturnType<typeof startEventHandler>>[]} */
  const started = [];
  try {
    const env = { RABBITMQ_URL: vhost.url, ...(await envFor(dataDir)), ...QUIET };
    const declaring = await startEventHandler(env);
    await waitForConsumer(managementUrl, vhost.vhost, 'event-handler.events');
    await stopProcess(declaring.child);
    const events = backlog(total);
    // The first `live` through the queue (and the log), applied live with nothing else running; then
    // the rest into the log only, which the by-hour projection follows before the rebuild starts.
    await publishBacklog(vhost.url, events.slice(0, live));
    const app = await startEventHandler(env);
    started.push(app);
    while ((await eventsApplied(app.base)) < live) await sleep(50);
    const { first, last } = await appliedSpan(env);
    const liveEventsPerSecond = ((live - 1) / (last - first)) * 1000;
    await publishToLog(vhost.url, events.slice(live));
    await waitForJson(
      `${app.base}/projections`,
      (/** @type {{ projections: { state: string, lag?: number }[] }} */ body) =>
        body.projections.every((p) => p.state !== 'backfilling' && (p.lag ?? 0) === 0),
      600_000,
      'the by-hour projection did not catch up',
    );
    const response = await fetch(`${app.base}/projections/rebuild`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    if (response.status !== 202) throw new Error(`the rebuild was not started: ${await response.text()}`);
    /** @type {{ id: string }} */
    const { id } = await response.json();
    const report = await waitForJson(
      `${app.base}/projections/rebuild`,
      (/** @type {{ id: string, state: string, error?: string, durationMs: number, entriesRead: number }} */ body) =>
        body.id === id && (body.state === 'done' || body.state === 'failed'),
      600_000,
      'the rebuild did not finish',
    );
    if (report.state !== 'done') throw new Error(`the rebuild failed: ${report.error}`);
    const seconds = report.durationMs / 1000;
    return {
      liveEventsPerSecond,
      rebuildSeconds: seconds,
      rebuildEntriesPerSecond: report.entriesRead / seconds,
      entries: report.entriesRead,
      streamBytes: streamBytes(brokerDir, vhost.vhost),
    };
  } finally {
    for (const s of started) await stopProcess(s.child);
    await vhost.delete().catch(() => undefined);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/** @param {import('./run.cjs').Common} options */
async function benchReplay({ createVhost, managementUrl, brokerDir, smoke, rounds, pinning }) {
  const { startPostgres } = require('@hello/infra/postgres');
  const { createTestDatabase } = require('@hello/testing');
  const total = smoke ? 1_000 : 100_000;
  const live = smoke ? 200 : 6_000;
  // Two rounds at most: a round of 100,000 events is long, and the figure is steady.
  const replayRounds = Math.min(rounds, 2);
  let server;
  if (!process.env['HELLO_TEST_DATABASE_URL']) {
    server = await startPostgres({ name: `bench-replay-${process.pid}` });
    // On every core, with the event-handlers (as the bench's children they would share its core).
    if (pinning.enabled) pinWithChildren(server.pid, pinning.every);
    process.env['HELLO_TEST_DATABASE_URL'] = server.url;
  }
  /** @type {Awaited<ReturnType<typeof createTestDatabase>>[]} */
  const databases = [];
  /** @type {Record<string, (dataDir: string) => Promise<Record<string, string>>>} */
  const sides = {
    sqlite: async (dataDir) => ({ EVENT_HANDLER_DATA_DIR: dataDir }),
    postgres: async (dataDir) => {
      const database = await createTestDatabase('bench_replay');
      databases.push(database);
      return { EVENT_HANDLER_DATA_DIR: dataDir, EVENT_HANDLER_DATABASE_URL: database.url };
    },
  };
  /** @type {Record<string, Awaited<ReturnType<typeof round>>[]>} */
  const measured = Object.fromEntries(Object.keys(sides).map((k) => [k, []]));
  try {
    for (let r = 0; r < replayRounds; r++) {
      for (const [name, envFor] of Object.entries(sides)) {
        const result = await round({ createVhost, managementUrl, brokerDir, live, total, envFor });
        measured[name].push(result);
        process.stderr.write(
          `[bench] replay ${name} round ${r + 1}: live ${result.liveEventsPerSecond.toFixed(0)} events/s, ` +
            `rebuild of ${result.entries} entries ${result.rebuildSeconds.toFixed(1)} s ` +
            `(${result.rebuildEntriesPerSecond.toFixed(0)}/s)\n`,
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
  const sidesOut = Object.fromEntries(
    Object.entries(measured).map(([name, results]) => {
      const liveRate = median(results.map((r) => r.liveEventsPerSecond));
      const rebuildRate = median(results.map((r) => r.rebuildEntriesPerSecond));
      const bytes = results.map((r) => r.streamBytes).filter((b) => b !== undefined);
      return [
        name,
        {
          liveEventsPerSecond: liveRate,
          rebuildEntriesPerSecond: rebuildRate,
          rebuildSeconds: median(results.map((r) => r.rebuildSeconds)),
          ratio: rebuildRate / liveRate,
          streamMiBPerMillion: bytes.length ? ((median(bytes) / total) * 1e6) / 2 ** 20 : undefined,
          rounds: results,
        },
      ];
    }),
  );
  return { events: total, live, rounds: replayRounds, sides: sidesOut };
}

module.exports = { benchReplay };

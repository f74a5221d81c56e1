#!/usr/bin/env node
/**
 * A local RabbitMQ cluster of N nodes (default 3) from the OS package, on loopback: each node has its
 * own name (`<name>-<i>@localhost`), AMQP, management and distribution ports and data directory under
 * `.local/rabbitmq/<name>-<i>`; all share one Erlang cookie and one epmd (ERL_EPMD_PORT). The nodes
 * after the first join it with `rabbitmqctl join_cluster`. Each start makes a fresh cluster (the nodes'
 * old data is removed), so that no node waits for peers of an earlier cluster.
 *
 *   node tools/infra/rabbitmq/cluster.cjs start   start, print RABBITMQ_URL=<every node's URL>, Ctrl-C stops
 *
 * Environment: HELLO_RABBITMQ_NODES (3), HELLO_RABBITMQ_NODE (name prefix, `cluster`),
 * HELLO_RABBITMQ_PORT (5672; node i listens on port + i - 1), HELLO_RABBITMQ_MANAGEMENT_PORT (15672,
 * likewise), HELLO_RABBITMQ_DIST_PORT (free ports unless set; likewise), ERL_EPMD_PORT (4369).
 */
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { randomBytes } = require('node:crypto');
const { startBroker, portsFromEnv } = require('./broker.cjs');
const { epmdKillIfIdle, log, reclaimLeftover } = require('./node-processes.cjs');
const { runCommandLine, stopSignal } = require('../host.cjs');

const ROOT = path.resolve(__dirname, '..', '..', '..');

/** @type {(base: number | undefined, i: number) => number} */
const offset = (base, i) => (base ? base + i : 0);

/**
 * Starts an N-node cluster and returns its nodes and the comma-separated RABBITMQ_URL of all of them.
 * @param {{nodes?: number, name?: string, port?: number, managementPort?: number, distPort?: number,
 *   epmdPort?: number, management?: boolean}} [options] ports of 0 (or unset) are picked free.
 */
async function startCluster(options = {}) {
  const count = options.nodes ?? 3;
  if (!Number.isInteger(count) || count < 1) throw new Error(`a cluster needs at least one node, got ${count}`);
  const name = options.name ?? 'cluster';
  const epmdPort = options.epmdPort || Number(process.env['ERL_EPMD_PORT'] || 4369);
  const names = Array.from({ length: count }, (_, i) => `${name}-${i + 1}`);
  const dirs = names.map((n) => path.join(ROOT, '.local', 'rabbitmq', n));
  for (const dir of dirs) {
    await reclaimLeftover(dir, `RABBITMQ_MNESIA_BASE=${path.join(dir, 'mnesia')}`);
    fs.rmSync(path.join(dir, 'mnesia'), { recursive: true, force: true });
  }
  const cookie = `HELLOMESH${randomBytes(16).toString('hex').toUpperCase()}`;
  /** @param {number} i */
  const startNode = (i) =>
    startBroker({
      name: names[i],
      port: offset(options.port, i),
      managementPort: offset(options.managementPort, i),
      distPort: offset(options.distPort, i),
      epmdPort,
      cookie,
      management: options.management,
    });

  /** @type {import('./broker.cjs').Broker[]} */
  const nodes = [];
  try {
    nodes.push(await startNode(0));
    // The others boot side by side, then join the first one after another.
    const others = await Promise.allSettled(names.slice(1).map((_, i) => startNode(i + 1)));
    for (const result of others) if (result.status === 'fulfilled') nodes.push(result.value);
    const failed = others.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    for (const node of nodes.slice(1)) {
      await node.ctl(['stop_app']);
      await node.ctl(['join_cluster', nodes[0].nodeName]);
      await node.ctl(['start_app']);
      await node.waitForAmqp();
    }
  } catch (error) {
    await Promise.all(nodes.map((node) => node.stop().catch(() => undefined)));
    epmdKillIfIdle(epmdPort);
    throw error;
  }

  const startedEpmd = nodes[0].startedEpmd;
  return {
    name,
    nodes,
    epmdPort,
    dir: nodes[0].dir,
    logFile: nodes[0].logFile,
    /** Every node's URL, comma-separated, as RABBITMQ_URL takes them. */
    url: nodes.map((node) => node.url).join(','),
    managementUrl: nodes[0].managementUrl,
    /** The node (of `nodes`) that leads quorum queue `queue`, asked of any running node. */
    /**
     * @param {string} queue
     * @param {string} [vhost]
     */
    async leaderOf(queue, vhost = '/') {
      let lastError;
      for (const node of nodes.filter((n) => n.running)) {
        try {
          const out = await node.ctl(['list_queues', '-p', vhost, 'name', 'leader', '--no-table-headers', '--quiet']);
          for (const line of out.split('\n')) {
            const [queueName, leader] = line.trim().split(/\s+/);
            if (queueName === queue) return nodes.find((n) => n.nodeName === leader);
          }
          return undefined;
        } catch (error) {
          lastError = error;
        }
      }
      throw lastError ?? new Error('no node of the cluster is running');
    },
    /** Stops every node (SIGTERM, in parallel) and the epmd the cluster started. */
    async stop() {
      await Promise.all(nodes.map((node) => node.stop()));
      if (startedEpmd) epmdKillIfIdle(epmdPort);
    },
  };
}

/**
 * @param {string[]} argv
 * @returns {Promise<number>}
 */
async function main(argv) {
  if (argv[0] !== 'start') {
    process.stderr.write('usage: cluster.cjs start\n');
    return 2;
  }
  process.stdout.on('error', () => undefined);
  process.stderr.on('error', () => undefined);
  const cluster = await startCluster({
    nodes: Number(process.env['HELLO_RABBITMQ_NODES'] || 3),
    name: process.env['HELLO_RABBITMQ_NODE'] || 'cluster',
    ...portsFromEnv(),
  });
  for (const node of cluster.nodes)
    log(`${node.nodeName}: ${node.url.replace(/\/\/[^@]*@/, '//')} (management ${node.managementUrl ?? 'off'})`);
  log(`epmd on 127.0.0.1:${cluster.epmdPort}; Ctrl-C stops the cluster. Point the apps at it with:`);
  if (!process.stdout.destroyed) process.stdout.write(`RABBITMQ_URL=${cluster.url}\n`);
  await stopSignal();
  log('stopping the cluster…');
  await cluster.stop();
  log('stopped');
  return 0;
}

module.exports = { startCluster };

if (require.main === module) runCommandLine(main, log);

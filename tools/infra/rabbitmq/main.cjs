#!/usr/bin/env node
/**
 * The local RabbitMQ's command line (`npm run rabbitmq` runs `start`):
 *
 *   node tools/infra/rabbitmq/main.cjs start            start, print RABBITMQ_URL=…, stop on Ctrl-C/SIGTERM
 *   node tools/infra/rabbitmq/main.cjs run -- CMD ARGS  run CMD with RABBITMQ_URL set (starting a node
 *                                                       only when RABBITMQ_URL is not already set)
 *   node tools/infra/rabbitmq/main.cjs install          install the OS package when it is missing
 *
 * Environment: RABBITMQ_URL (use that broker, start nothing), HELLO_RABBITMQ_PORT (5672),
 * HELLO_RABBITMQ_MANAGEMENT_PORT (15672), HELLO_RABBITMQ_DIST_PORT (a free port),
 * ERL_EPMD_PORT (4369, Erlang's own variable: where the node finds or starts epmd),
 * HELLO_RABBITMQ_NODE (hello), HELLO_RABBITMQ_NODES (1; more starts a local cluster, cluster.cjs).
 * The node itself is broker.cjs's.
 */
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { runCommandLine, runForwardingSignals, stopSignal } = require('../host.cjs');
const { ensureInstalled, log, portsFromEnv, startBroker } = require('./broker.cjs');
const { startCluster } = require('./cluster.cjs');

const ROOT = path.resolve(__dirname, '..', '..', '..');

// A reader that went away (`| head -1`) must not take the launcher down before it stops its node.
process.stdout.on('error', () => undefined);
process.stderr.on('error', () => undefined);

/** @param {string} text */
function writeStdout(text) {
  if (!process.stdout.destroyed) process.stdout.write(text);
}

/**
 * @param {string[]} argv
 * @returns {Promise<number>}
 */
async function main(argv) {
  const [command, ...rest] = argv;
  if (command === 'install') {
    ensureInstalled();
    log('installed: rabbitmq-server');
    return 0;
  }
  if (command === 'start') {
    const nodes = Number(process.env['HELLO_RABBITMQ_NODES'] || 1);
    const broker =
      nodes > 1
        ? await startCluster({
            nodes,
            name: process.env['HELLO_RABBITMQ_NODE'] || 'hello',
            ...portsFromEnv(),
          })
        : await startBroker({ name: process.env['HELLO_RABBITMQ_NODE'] || 'hello', ...portsFromEnv() });
    log(`ready: management ${broker.managementUrl}; logs in ${broker.logFile}`);
    log(`epmd on 127.0.0.1:${broker.epmdPort} (ERL_EPMD_PORT); rabbitmqctl needs HOME=${broker.dir} for the cookie`);
    log('Ctrl-C stops it. Point the apps (e.g. `nx serve <app>`) at it with:');
    // The one line on stdout, so that `eval "$(npm run -s rabbitmq | head -1)"`-style use works.
    writeStdout(`RABBITMQ_URL=${broker.url}\n`);
    await stopSignal();
    log('stopping…');
    await broker.stop();
    log('stopped');
    return 0;
  }
  if (command === 'run') {
    const cmd = rest[0] === '--' ? rest.slice(1) : rest;
    if (cmd.length === 0) throw new Error('usage: main.cjs run -- COMMAND [ARGS…]');
    let broker;
    const env = { ...process.env };
    if (!env['RABBITMQ_URL']) {
      broker = await startBroker({
        name: process.env['HELLO_RABBITMQ_NODE'] || `run-${process.pid}`,
        port: Number(process.env['HELLO_RABBITMQ_PORT'] || 0),
        managementPort: Number(process.env['HELLO_RABBITMQ_MANAGEMENT_PORT'] || 0),
      });
      env['RABBITMQ_URL'] = broker.url;
      env['RABBITMQ_MANAGEMENT_URL'] = broker.managementUrl;
      log(`ready: ${broker.url}`);
    }
    const code = await runForwardingSignals(cmd, env);
    if (broker) {
      await broker.stop();
      fs.rmSync(path.join(ROOT, '.local', 'rabbitmq', broker.name), { recursive: true, force: true });
    }
    return code;
  }
  process.stderr.write('usage: main.cjs start | run -- COMMAND [ARGS…] | install\n');
  return 2;
}

runCommandLine(main, log);

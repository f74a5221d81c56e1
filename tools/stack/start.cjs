#!/usr/bin/env node
/**
 * The whole hello-mesh stack without Docker: a local RabbitMQ (unless RABBITMQ_URL is set) and the
 * four apps, built with Nx and run as separate processes with prefixed logs. Ctrl-C or SIGTERM
 * stops every app (SIGTERM, so each drains) and then the broker.
 *
 *   npm start                      build, then run everything
 *   HELLO_SKIP_BUILD=1 npm start   run what dist/ already holds
 *   HELLO_RABBITMQ_NODES=3 npm start   the same on a local 3-node RabbitMQ cluster
 *
 * The runner keeps going when its stdout is closed (`npm start | head -1`) and stops the broker it
 * started whatever ends it (signal, an app exiting, an error of its own).
 */
'use strict';

const { spawn } = require('node:child_process');
const { startProcess } = require('@hello/infra/process');
const fs = require('node:fs');
const path = require('node:path');
const { startBroker, portsFromEnv } = require('@hello/infra/rabbitmq');
const { startCluster } = require('@hello/infra/rabbitmq/cluster');
const { APPS, appNodeArgs } = require('./apps.cjs');

const ROOT = path.resolve(__dirname, '..', '..');
const STOP_TIMEOUT_MS = 20_000;
const COLORS = ['\x1b[36m', '\x1b[32m', '\x1b[35m', '\x1b[33m', '\x1b[34m'];
const RESET = '\x1b[0m';
const useColor = process.stdout.isTTY && !process.env['NO_COLOR'];

// A reader that went away (`| head -1`, a closed terminal) makes writes fail with EPIPE: output is
// dropped from then on, and the runner goes on until it is told to stop.
let stdoutOpen = true;
process.stdout.on('error', () => {
  stdoutOpen = false;
});
process.stderr.on('error', () => undefined);
/** @param {string} text */
function writeOut(text) {
  if (stdoutOpen && !process.stdout.destroyed) process.stdout.write(text);
}

/**
 * @param {string} label
 * @param {string} color
 */
function prefixer(label, color) {
  const tag = useColor ? `${color}${label.padEnd(13)}|${RESET} ` : `${label.padEnd(13)}| `;
  let pending = '';
  return {
    /** @param {string | Buffer} chunk */
    write(chunk) {
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) writeOut(`${tag}${line}\n`);
    },
    flush() {
      if (pending) writeOut(`${tag}${pending}\n`);
      pending = '';
    },
  };
}

const say = prefixer('stack', COLORS[4]);

/** Builds the apps with Nx; its output goes through the runner, so a closed stdout cannot fail it. */
function build() {
  if (process.env['HELLO_SKIP_BUILD'] === '1') return Promise.resolve();
  say.write('building the apps (nx run-many -t build)…\n');
  const child = spawn(
    'npx',
    ['nx', 'run-many', '-t', 'build', '-p', APPS.map((a) => a.name).join(','), '--outputStyle=static'],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', ...(useColor ? { FORCE_COLOR: '1' } : {}) },
    },
  );
  child.stdout.on('data', (d) => writeOut(d.toString()));
  child.stderr.on('data', (d) => writeOut(d.toString()));
  return /** @type {Promise<void>} */ (
    new Promise((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code) =>
        code === 0 ? resolve() : reject(new Error('the build failed; see the output above')),
      );
    })
  );
}

/**
 * @param {import('./apps.cjs').App} app
 * @param {number} index
 * @param {NodeJS.ProcessEnv} env
 */
function startApp(app, index, env) {
  const main = path.join(ROOT, 'dist', 'apps', app.name, 'main.js');
  if (!fs.existsSync(main)) throw new Error(`${main} is missing: build ${app.name} first`);
  const out = prefixer(app.name, COLORS[index % 4]);
  // The output goes to the terminal, prefixed, and is not kept.
  const started = startProcess(app.name, process.execPath, appNodeArgs(ROOT, app.name, ['--enable-source-maps']), {
    cwd: ROOT,
    env,
    onOutput: (chunk) => out.write(chunk),
    keepOutput: 0,
  });
  say.write(`started ${app.name} (pid ${started.pid})\n`);
  const exited = started.exited.then((exit) => {
    out.flush();
    return exit;
  });
  return Object.assign(started.child, { exited });
}

/** host:port as a client on this machine reaches it (a wildcard bind address becomes localhost). */
/** @param {string} hostPort */
function reachable(hostPort) {
  return hostPort.replace(/^(0\.0\.0\.0|\[::\]|::)(?=:)/, 'localhost');
}

/** @type {import('@hello/infra/rabbitmq').Broker | Awaited<ReturnType<typeof startCluster>> | undefined} */
let broker;
/** @type {Promise<void> | undefined} */
let brokerStopping;
/** Stops whatever runs so far; replaced by the full stop once the apps run. */
/** @type {() => Promise<void>} */
let stopEverything = async () => {
  await stopBroker();
  process.exit(1);
};

/** Stops the broker this runner started, once, however the runner ends. */
function stopBroker() {
  if (!broker) return Promise.resolve();
  brokerStopping ??= (async () => {
    say.write('stopping RabbitMQ…\n');
    await broker.stop();
  })();
  return brokerStopping;
}

/** @param {NodeJS.ProcessEnv} env */
async function startLocalBroker(env) {
  const nodes = Number(process.env['HELLO_RABBITMQ_NODES'] || 1);
  if (!Number.isInteger(nodes) || nodes < 1)
    throw new Error(
      `HELLO_RABBITMQ_NODES must be a whole number of nodes, got "${process.env['HELLO_RABBITMQ_NODES']}"`,
    );
  if (nodes > 1) {
    say.write(`starting a local ${nodes}-node RabbitMQ cluster…\n`);
    broker = await startCluster({ nodes, name: process.env['HELLO_RABBITMQ_NODE'] || 'stack', ...portsFromEnv() });
    for (const node of broker.nodes) say.write(`  ${node.nodeName}: ${node.url} (management ${node.managementUrl})\n`);
  } else {
    say.write('starting a local RabbitMQ…\n');
    broker = await startBroker({ name: process.env['HELLO_RABBITMQ_NODE'] || 'stack', ...portsFromEnv() });
  }
  env['RABBITMQ_URL'] = broker.url;
  say.write(`RabbitMQ ready at ${broker.url} (management ${broker.managementUrl})\n`);
}

async function main() {
  require('../scripts/ensure-deps.cjs');
  await build();

  /** @type {NodeJS.ProcessEnv} */
  const env = { ...process.env, NODE_ENV: process.env['NODE_ENV'] || 'production' };
  // Colours only when a person watches; logs piped to a file stay plain.
  if (!useColor) env['NO_COLOR'] = '1';
  // One JSON object per line is for log shippers; a person at a terminal reads them pretty.
  if (!env['LOG_FORMAT'] && process.stdout.isTTY) env['LOG_FORMAT'] = 'pretty';
  /** @type {NodeJS.Signals | undefined} */
  let stopRequested;
  /** @param {NodeJS.Signals} signal */
  const early = (signal) => {
    stopRequested = signal;
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, early);
  if (!env['RABBITMQ_URL']) await startLocalBroker(env);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.off(signal, early);
  if (stopRequested) {
    await stopBroker();
    process.exit(0);
  }

  const children = APPS.map((app, i) => ({ app, child: startApp(app, i, env) }));
  let stopping = false;

  /** @param {string} reason */
  const stop = async (reason) => {
    if (stopping) return;
    stopping = true;
    say.write(`${reason}: stopping the apps…\n`);
    for (const { child } of children) if (child.exitCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => {
      for (const { app, child } of children) {
        if (child.exitCode === null && child.signalCode === null) {
          say.write(`${app.name} did not stop within ${STOP_TIMEOUT_MS} ms; killing it\n`);
          child.kill('SIGKILL');
        }
      }
    }, STOP_TIMEOUT_MS);
    const results = await Promise.all(children.map(({ child }) => child.exited));
    clearTimeout(timer);
    const how = results.map(({ code, signal }, i) => `${children[i].app.name} ${code ?? signal}`);
    say.write(`apps stopped (exit codes): ${how.join(', ')}\n`);
    await stopBroker();
    say.write('stopped.\n');
    say.flush();
    const failed = results.some((r) => r.code !== 0);
    process.exit(failed ? 1 : 0);
  };

  stopEverything = () => stop('failure');
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => stop(signal));
  for (const { app, child } of children) {
    child.exited.then(({ code, signal }) => {
      if (!stopping) {
        say.write(`${app.name} exited (${code ?? signal}); stopping the stack\n`);
        stop(`${app.name} exited`);
      }
    });
  }

  const grpc = reachable(env['GREETER_GRPC_URL'] || '0.0.0.0:50051');
  const producer = env['PRODUCER_HTTP_PORT'] || 3000;
  const eventHandler = env['EVENT_HANDLER_HTTP_PORT'] || 3003;
  say.write('hello-mesh is starting:\n');
  for (const app of APPS) say.write(`  ${app.name.padEnd(13)} ${app.endpoints(env).join(', ')}\n`);
  // With TLS the dialled name must be in the certificate; "localhost" is the usual one for a local stack.
  const grpcFlags = env['GREETER_TLS_CERT_FILE']
    ? `-cacert <your CA>${env['GREETER_TLS_CLIENT_CA_FILE'] ? ' -cert <client.pem> -key <client.key>' : ''}`
    : '-plaintext';
  say.write(`try:   grpcurl ${grpcFlags} -d '{"name": "world"}' ${grpc} helloworld.Greeter/SayHello\n`);
  say.write(
    `       curl -s -XPOST localhost:${producer}/messages -H "content-type: application/json" -d '{"text": "hi"}'\n`,
  );
  say.write(`       curl -s localhost:${eventHandler}/stats\n`);
  say.write('Ctrl-C stops everything.\n');
}

// A bug of the runner itself still stops the apps and the broker it started.
process.on('uncaughtException', (error) => {
  say.write(`runner failed: ${error.stack ?? error}\n`);
  stopEverything().catch(() => process.exit(1));
});

main().catch(async (error) => {
  say.write(`${error.message}\n`);
  say.flush();
  await stopBroker().catch(() => undefined);
  process.exit(1);
});

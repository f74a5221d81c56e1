#!/usr/bin/env node
/**
 * The whole hello-mesh stack without Docker: a local RabbitMQ (unless RABBITMQ_URL is set) and the
 * four apps, built with Nx and run as separate processes with prefixed logs. Ctrl-C or SIGTERM
 * stops every app (SIGTERM, so each drains) and then the broker.
 *
 *   npm start                      build, then run everything
 *   HELLO_SKIP_BUILD=1 npm start   run what dist/ already holds
 */
'use strict';

const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { startBroker } = require('../rabbitmq/broker.cjs');
const { APPS } = require('./apps.cjs');

const ROOT = path.resolve(__dirname, '..', '..');
const STOP_TIMEOUT_MS = 20_000;
const COLORS = ['\x1b[36m', '\x1b[32m', '\x1b[35m', '\x1b[33m', '\x1b[34m'];
const RESET = '\x1b[0m';
const useColor = process.stdout.isTTY && !process.env.NO_COLOR;

function prefixer(label, color) {
  const tag = useColor ? `${color}${label.padEnd(13)}|${RESET} ` : `${label.padEnd(13)}| `;
  let pending = '';
  return {
    write(chunk) {
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop();
      for (const line of lines) process.stdout.write(`${tag}${line}\n`);
    },
    flush() {
      if (pending) process.stdout.write(`${tag}${pending}\n`);
      pending = '';
    },
  };
}

const say = prefixer('stack', COLORS[4]);

function build() {
  if (process.env.HELLO_SKIP_BUILD === '1') return;
  say.write('building the apps (nx run-many -t build)…\n');
  const result = spawnSync(
    'npx',
    ['nx', 'run-many', '-t', 'build', '-p', APPS.map((a) => a.name).join(','), '--outputStyle=static'],
    { cwd: ROOT, stdio: 'inherit', env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true' } },
  );
  if (result.status !== 0) throw new Error('the build failed; see the output above');
}

function startApp(app, index, env) {
  const main = path.join(ROOT, 'dist', 'apps', app.name, 'main.js');
  if (!fs.existsSync(main)) throw new Error(`${main} is missing: build ${app.name} first`);
  const out = prefixer(app.name, COLORS[index % 4]);
  const child = spawn(process.execPath, ['--enable-source-maps', main], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  say.write(`started ${app.name} (pid ${child.pid})\n`);
  child.stdout.on('data', (d) => out.write(d));
  child.stderr.on('data', (d) => out.write(d));
  child.exited = new Promise((resolve) =>
    child.once('exit', (code, signal) => {
      out.flush();
      resolve({ code, signal });
    }),
  );
  return child;
}

async function main() {
  require('../scripts/ensure-deps.cjs');
  build();

  const env = { ...process.env, NODE_ENV: process.env.NODE_ENV || 'production' };
  // Colours only when a person watches; logs piped to a file stay plain.
  if (!useColor) env.NO_COLOR = '1';
  // One JSON object per line is for log shippers; a person at a terminal reads them pretty.
  if (!env.LOG_FORMAT && process.stdout.isTTY) env.LOG_FORMAT = 'pretty';
  let broker;
  if (!env.RABBITMQ_URL) {
    say.write('starting a local RabbitMQ…\n');
    broker = await startBroker({
      name: 'stack',
      port: Number(process.env.HELLO_RABBITMQ_PORT || 5672),
      managementPort: Number(process.env.HELLO_RABBITMQ_MANAGEMENT_PORT || 15672),
    });
    env.RABBITMQ_URL = broker.url;
    say.write(`RabbitMQ ready at ${broker.url} (management ${broker.managementUrl})\n`);
  }

  const children = APPS.map((app, i) => ({ app, child: startApp(app, i, env) }));
  let stopping = false;

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
    if (broker) {
      say.write('stopping RabbitMQ…\n');
      await broker.stop();
    }
    say.write('stopped.\n');
    say.flush();
    const failed = results.some((r) => r.code !== 0);
    process.exit(failed ? 1 : 0);
  };

  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  for (const { app, child } of children) {
    child.exited.then(({ code, signal }) => {
      if (!stopping) {
        say.write(`${app.name} exited (${code ?? signal}); stopping the stack\n`);
        stop(`${app.name} exited`);
      }
    });
  }

  say.write('hello-mesh is starting:\n');
  for (const app of APPS) say.write(`  ${app.name.padEnd(13)} ${app.endpoints(env).join(', ')}\n`);
  say.write('try:   grpcurl -plaintext -d \'{"name": "world"}\' localhost:50051 helloworld.Greeter/SayHello\n');
  say.write('       curl -s -XPOST localhost:3000/messages -H "content-type: application/json" -d \'{"text": "hi"}\'\n');
  say.write('       curl -s localhost:3003/stats\n');
  say.write('Ctrl-C stops everything.\n');
}

main().catch((error) => {
  say.write(`${error.message}\n`);
  say.flush();
  process.exit(1);
});

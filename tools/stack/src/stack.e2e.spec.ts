import { ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import * as amqp from 'amqplib';
import { createTestVhost, ensurePythonModules, freePort, TestVhost, waitFor } from '@hello/testing';
import {
  asyncApiDocument,
  asyncApiViolations,
  brokerDefinitions,
  type CapturedMessage,
  capturedMessages,
  declaredDefinitions,
  DELIBERATELY_INVALID,
  OpenApiRecorder,
  startCapture,
} from './support/contract-checks';

// The whole stack started with the README's main command, `npm start` (→ tools/stack/start.cjs):
// four separate app processes on one broker, exercised from outside over their real ports. The
// SIGTERM goes to npm, as a process manager would send it. Everything they send on the broker and
// every HTTP answer the tests get is checked against docs/asyncapi.yaml and docs/openapi/.

const ROOT = resolve(__dirname, '..', '..', '..');
const { checkHttp, checkGrpc } = require('../healthcheck.cjs') as {
  checkHttp(url: string): Promise<string | null>;
  checkGrpc(address: string, service?: string): Promise<string | null>;
};

const STOP_BOUND_MS = 30_000;

interface Stack {
  process: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
  ports: { grpc: number; greeterHttp: number; producer: number; consumer: number; eventHandler: number; tcp: number };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function startStack(
  vhost: TestVhost,
  dataDir: string,
  { detached = false, skipBuild = false } = {},
): Promise<Stack> {
  const ports = {
    grpc: await freePort(),
    greeterHttp: await freePort(),
    producer: await freePort(),
    consumer: await freePort(),
    eventHandler: await freePort(),
    tcp: await freePort(),
  };
  const child = spawn('npm', ['start'], {
    cwd: ROOT,
    env: {
      ...process.env,
      RABBITMQ_URL: vhost.url,
      GREETER_GRPC_URL: `127.0.0.1:${ports.grpc}`,
      GREETER_HTTP_PORT: String(ports.greeterHttp),
      PRODUCER_HTTP_PORT: String(ports.producer),
      CONSUMER_HTTP_PORT: String(ports.consumer),
      EVENT_HANDLER_HTTP_PORT: String(ports.eventHandler),
      EVENT_HANDLER_TCP_PORT: String(ports.tcp),
      EVENT_HANDLER_DATA_DIR: dataDir,
      NO_COLOR: '1',
      // The first start builds as the README's command does (an Nx cache hit after the suite's own build).
      HELLO_SKIP_BUILD: skipBuild ? '1' : '',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, as a terminal gives a command: Ctrl-C signals the whole group.
    detached,
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  return { process: child, output: () => output, exited, ports };
}

function appPids(output: string): number[] {
  return [...output.matchAll(/started [a-z-]+ \(pid (\d+)\)/g)].map((m) => Number(m[1]));
}

function greeterClient(port: number) {
  const definition = protoLoader.loadSync(join(ROOT, 'proto', 'helloworld.proto'), { keepCase: true });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    helloworld: { Greeter: new (address: string, credentials: grpc.ChannelCredentials) => grpc.Client };
  };
  return new loaded.helloworld.Greeter(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as grpc.Client & {
    SayHello(
      request: { name: string },
      options: grpc.CallOptions,
      callback: (error: grpc.ServiceError | null, reply: { message: string }) => void,
    ): void;
  };
}

/** The parts of the event-handler's answers these tests read. */
interface QueryBody {
  messages: { last: { messageId: string; text: string }[] };
  [field: string]: unknown;
}

/** Every HTTP answer the tests get, checked against the OpenAPI document of the app that gave it. */
const openApi = new OpenApiRecorder();
const appOfPort = new Map<string, string>();
const appOf = (url: string) => appOfPort.get(new URL(url).port) ?? 'unknown';

async function getJson(url: string): Promise<{ status: number; body: QueryBody }> {
  return openApi.fetch(appOf(url), url);
}

async function waitHealthy(stack: Stack): Promise<void> {
  const exitedEarly = stack.exited.then((code) => {
    throw new Error(`the stack exited (${code}) before it was healthy:\n${stack.output()}`);
  });
  const healthy = waitFor(
    async () => {
      const checks = await Promise.all([
        checkGrpc(`127.0.0.1:${stack.ports.grpc}`),
        checkHttp(`http://127.0.0.1:${stack.ports.greeterHttp}/health/ready`),
        checkHttp(`http://127.0.0.1:${stack.ports.producer}/health/ready`),
        checkHttp(`http://127.0.0.1:${stack.ports.consumer}/health/ready`),
        checkHttp(`http://127.0.0.1:${stack.ports.eventHandler}/health/ready`),
      ]);
      return checks.every((c) => c === null);
    },
    { timeoutMs: 240_000, intervalMs: 500, message: 'the stack did not become healthy' },
  );
  await Promise.race([healthy, exitedEarly]);
  exitedEarly.catch(() => undefined);
}

describe('the whole stack (npm start)', () => {
  let vhost: TestVhost;
  let dataDir: string;
  let stack: Stack;
  let base: { producer: string; eventHandler: string };

  beforeAll(async () => {
    vhost = await createTestVhost('stack');
    // Before any app starts: every message published in the vhost from now on is captured.
    await startCapture(vhost);
    dataDir = mkdtempSync(join(tmpdir(), 'hello-stack-'));
    await bindWitnessQueue(vhost);
    stack = await startStack(vhost, dataDir);
    for (const [app, port] of [
      ['greeter', stack.ports.greeterHttp],
      ['producer', stack.ports.producer],
      ['consumer', stack.ports.consumer],
      ['event-handler', stack.ports.eventHandler],
    ] as const)
      appOfPort.set(String(port), app);
    base = {
      producer: `http://127.0.0.1:${stack.ports.producer}`,
      eventHandler: `http://127.0.0.1:${stack.ports.eventHandler}`,
    };
    // The first run builds all four apps.
    await waitHealthy(stack);
  }, 300_000);

  afterAll(async () => {
    if (stack && stack.process.exitCode === null) {
      stack.process.kill('SIGKILL');
      for (const pid of appPids(stack.output())) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    }
    await vhost?.delete();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('should print where each app listens and a grpcurl line to try', () => {
    const out = stack.output();
    expect(out).toContain(`gRPC 127.0.0.1:${stack.ports.grpc}`);
    expect(out).toContain(`http://localhost:${stack.ports.producer}`);
    expect(out).toContain(`TCP line echo localhost:${stack.ports.tcp}`);
    // The hints to try name the ports the apps really listen on, not the defaults.
    expect(out).toContain(
      `grpcurl -plaintext -d '{"name": "world"}' 127.0.0.1:${stack.ports.grpc} helloworld.Greeter/SayHello`,
    );
    expect(out).toContain(`curl -s -XPOST localhost:${stack.ports.producer}/messages`);
    expect(out).toContain(`curl -s localhost:${stack.ports.eventHandler}/stats`);
    expect(appPids(out)).toHaveLength(4);
  });

  it('should run every app on the Node major in .nvmrc, whatever Node the machine has', async () => {
    const major = readFileSync(join(ROOT, '.nvmrc'), 'utf8').trim();
    const ports = [stack.ports.greeterHttp, stack.ports.producer, stack.ports.consumer, stack.ports.eventHandler];
    for (const port of ports) {
      const url = `http://127.0.0.1:${port}/metrics`;
      const metrics = String((await openApi.fetch(appOf(url), url)).body);
      expect({ port, version: /^nodejs_version_info\{version="v(\d+)\./m.exec(metrics)?.[1] }).toEqual({
        port,
        version: major,
      });
    }
  });

  it('should show a SayHello over gRPC in the event-handler projection', async () => {
    const name = `stack-${randomUUID().slice(0, 8)}`;
    const client = greeterClient(stack.ports.grpc);
    const reply = await new Promise<{ message: string }>((done, fail) =>
      client.SayHello({ name }, { deadline: Date.now() + 5000 }, (e, r) => (e ? fail(e) : done(r))),
    );
    client.close();
    expect(reply.message).toBe(`Hello, ${name}!`);
    const url = `${base.eventHandler}/greetings/${encodeURIComponent(name)}`;
    await waitFor(async () => (await getJson(url)).status === 200, { timeoutMs: 15_000, message: `${url} never 200` });
    expect((await getJson(url)).body).toMatchObject({ name, count: 1 });
  });

  it('should hand a POSTed message to the consumer and count it in /stats', async () => {
    const text = `stack message ${randomUUID()}`;
    const res = await openApi.fetch('producer', `${base.producer}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text }),
    });
    expect(res.status).toBe(202);
    const { id } = res.body as { id: string };
    await waitFor(
      async () => {
        const stats = (await getJson(`${base.eventHandler}/stats`)).body;
        return stats.messages.last.some((m) => m.messageId === id && m.text === text);
      },
      { timeoutMs: 15_000, message: `message ${id} never counted` },
    );
  });

  it('should dead-letter a message that breaks its contract, with the reason naming the field', async () => {
    const connection = await amqp.connect(vhost.url);
    try {
      const channel = await connection.createConfirmChannel();
      channel.publish('', 'hello', Buffer.from(JSON.stringify({ text: 42 })), {
        type: 'hello.message.v1',
        contentType: 'application/json',
        messageId: `broken-${randomUUID()}`,
        headers: { [DELIBERATELY_INVALID]: true },
      });
      await channel.waitForConfirms();
      const dead = await waitFor(
        async () => {
          const message = await channel.get('hello.dead', { noAck: true });
          return message === false ? undefined : message;
        },
        { timeoutMs: 15_000, message: 'nothing reached hello.dead' },
      );
      expect(dead.properties.headers).toMatchObject({
        'x-hello-death-reason': 'invalid-message',
        'x-hello-death-detail': '"text" must be a string',
      });
    } finally {
      await connection.close();
    }
  });

  it('should count a plain-text message published by a plain AMQP client to "hello"', async () => {
    const text = `plain ${randomUUID()}`;
    const connection = await amqp.connect(vhost.url);
    try {
      const channel = await connection.createConfirmChannel();
      // As RabbitMQ's tutorial does: default exchange, routing key "hello", a plain text body.
      channel.publish('', 'hello', Buffer.from(text));
      await channel.waitForConfirms();
    } finally {
      await connection.close();
    }
    await waitFor(
      async () => {
        const stats = (await getJson(`${base.eventHandler}/stats`)).body;
        return stats.messages.last.some((m) => m.text === text);
      },
      { timeoutMs: 15_000, message: 'the plain-text message was never counted' },
    );
  });

  it('should echo lines on the TCP port', async () => {
    const socket = connect({ host: '127.0.0.1', port: stack.ports.tcp });
    let received = '';
    socket.on('data', (d) => (received += d.toString()));
    socket.write('hello mesh\r\nsecond line\n');
    await waitFor(() => received === 'hello mesh\r\nsecond line\n', {
      timeoutMs: 5000,
      message: 'no echo',
    }).finally(() => socket.destroy());
  });

  it('should greet over hello.rpc through the producer, and name the field of a bad name', async () => {
    const greet = (body: unknown) =>
      openApi.fetch('producer', `${base.producer}/greetings`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect(await greet({ name: 'wire' })).toEqual({ status: 200, body: { message: 'Hello, wire!' } });
    expect(await greet({ name: '' })).toMatchObject({ status: 400, body: { message: 'name: must not be empty' } });
  });

  const captured: CapturedMessage[] = [];
  const seen = (exchange: string, routingKey: string | RegExp) =>
    captured.some(
      (m) =>
        m.exchange === exchange &&
        (typeof routingKey === 'string' ? m.routingKey === routingKey : routingKey.test(m.routingKey)),
    );

  it('should have sent only messages its AsyncAPI document describes: channel, type, content type, headers, payload', async () => {
    // Every kind the tests above made the apps send: events, work, the RPC request and its reply.
    await waitFor(
      async () => {
        captured.push(...(await capturedMessages(vhost)));
        return (
          ['greeting.greeted', 'message.handled', 'line.received'].every((key) => seen('hello.events', key)) &&
          seen('', 'hello') &&
          seen('', 'hello.dead') &&
          seen('', 'hello.rpc') &&
          seen('', /^amq\.rabbitmq\.reply-to/)
        );
      },
      { timeoutMs: 15_000, message: 'not every kind of message was captured' },
    );
    expect(asyncApiViolations(asyncApiDocument(), captured)).toEqual([]);
  });

  it('should have answered HTTP only as its OpenAPI documents say: a documented status and body', () => {
    expect(openApi.violations).toEqual([]);
    expect(openApi.checked).toBeGreaterThan(8);
  });

  it('should have declared on the broker exactly what its AsyncAPI document declares', async () => {
    expect(await brokerDefinitions(vhost, [WITNESS_QUEUE])).toEqual(declaredDefinitions(asyncApiDocument()));
  });

  it('should be readable from Python: pika receives its events and PyYAML + jsonschema check each against docs/asyncapi.yaml', async () => {
    // Debian's python3-pika, python3-yaml and python3-jsonschema (installed with apt-get when missing).
    const python = ensurePythonModules([
      { module: 'pika', debianPackage: 'python3-pika' },
      { module: 'yaml', debianPackage: 'python3-yaml' },
      { module: 'jsonschema', debianPackage: 'python3-jsonschema' },
    ]);
    const script = join(__dirname, 'support', 'asyncapi_check.py');
    const checker = spawn(python, [script, join(ROOT, 'docs/asyncapi.yaml'), vhost.url, '20'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    checker.stdout.on('data', (d: Buffer) => (output += d.toString()));
    checker.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((done) => checker.once('exit', done));
    await waitFor(() => output.startsWith('ready'), { timeoutMs: 15_000, message: `the Python checker: ${output}` });
    // One of each integration event: a greeting, a handled message, a line.
    const client = greeterClient(stack.ports.grpc);
    await new Promise((done, fail) =>
      client.SayHello({ name: 'python' }, { deadline: Date.now() + 5000 }, (e, r) => (e ? fail(e) : done(r))),
    );
    client.close();
    const posted = await openApi.fetch('producer', `${base.producer}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'for python' }),
    });
    expect(posted.status).toBe(202);
    const socket = connect({ host: '127.0.0.1', port: stack.ports.tcp });
    socket.end('a line for python\n');
    const code = await exited;
    const results = output
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { type: string; problems: string[] });
    expect({ code, output }).toEqual({ code: 0, output });
    expect([...new Set(results.map((r) => r.type))].sort()).toEqual([
      'greeting.greeted.v1',
      'line.received.v1',
      'message.handled.v1',
    ]);
    expect(results.flatMap((r) => r.problems)).toEqual([]);
  }, 300_000);

  it(
    'should stop every process within the bound on SIGTERM, each exiting 0, leaving nothing running',
    async () => {
      const pids = appPids(stack.output());
      const started = Date.now();
      stack.process.kill('SIGTERM');
      const code = await Promise.race([
        stack.exited,
        new Promise<string>((done) => setTimeout(() => done('timed out'), STOP_BOUND_MS)),
      ]);
      expect(code).toBe(0);
      expect(Date.now() - started).toBeLessThan(STOP_BOUND_MS);
      expect(pids.filter(isAlive)).toEqual([]);
      for (const app of ['greeter', 'producer', 'consumer', 'event-handler']) {
        expect(stack.output()).toMatch(new RegExp(`${app}\\s*\\| .*closed`));
      }
      expect(stack.output()).toContain('apps stopped (exit codes): greeter 0, producer 0, consumer 0, event-handler 0');
    },
    STOP_BOUND_MS + 5000,
  );

  it("should have kept every event the apps published in hello.events.log, in each publisher's order", async () => {
    // After the stop above: nothing publishes any more. The witness queue got every event routed by
    // hello.events since before the apps started, in the order the broker routed them.
    const published = await drainWitnessQueue(vhost);
    const publishers = new Set(published.map((event) => event.appId));
    expect([...publishers].sort()).toEqual(['consumer', 'event-handler', 'greeter']);
    const logged = await readEventLog(vhost, published.length);
    for (const app of publishers) {
      expect({ app, ids: logged.filter((e) => e.appId === app).map((e) => e.messageId) }).toEqual({
        app,
        ids: published.filter((e) => e.appId === app).map((e) => e.messageId),
      });
    }
    expect(logged).toHaveLength(published.length);
  });
});

/** A queue of the test's own, bound to every routing key of hello.events before the apps start. */
const WITNESS_QUEUE = 'stack-test.witness';

interface PublishedEvent {
  appId: string;
  messageId: string;
}

async function bindWitnessQueue(vhost: TestVhost): Promise<void> {
  const connection = await amqp.connect(vhost.url);
  try {
    const channel = await connection.createChannel();
    await channel.assertExchange('hello.events', 'topic', { durable: true });
    await channel.assertQueue(WITNESS_QUEUE, { durable: true });
    await channel.bindQueue(WITNESS_QUEUE, 'hello.events', '#');
  } finally {
    await connection.close();
  }
}

async function drainWitnessQueue(vhost: TestVhost): Promise<PublishedEvent[]> {
  const connection = await amqp.connect(vhost.url);
  const events: PublishedEvent[] = [];
  try {
    const channel = await connection.createChannel();
    for (let message = await channel.get(WITNESS_QUEUE, { noAck: true }); message;) {
      events.push({ appId: message.properties.appId, messageId: message.properties.messageId });
      message = await channel.get(WITNESS_QUEUE, { noAck: true });
    }
  } finally {
    await connection.close();
  }
  return events;
}

/** The first `count` events of the stream, read from its first offset (streams need a prefetch and acks). */
async function readEventLog(vhost: TestVhost, count: number): Promise<PublishedEvent[]> {
  const connection = await amqp.connect(vhost.url);
  const events: PublishedEvent[] = [];
  try {
    const channel = await connection.createChannel();
    await channel.prefetch(100);
    await channel.consume(
      'hello.events.log',
      (message) => {
        if (!message) return;
        events.push({ appId: message.properties.appId, messageId: message.properties.messageId });
        channel.ack(message);
      },
      { arguments: { 'x-stream-offset': 'first' } },
    );
    // What is missing then shows in the comparison of the caller.
    await waitFor(() => events.length >= count, { timeoutMs: 10_000 }).catch(() => undefined);
  } finally {
    await connection.close();
  }
  return events;
}

describe('Ctrl-C on npm start (SIGINT to its whole process group, as a terminal sends it)', () => {
  let vhost: TestVhost;
  let dataDir: string;
  let stack: Stack;

  beforeAll(async () => {
    vhost = await createTestVhost('stack-ctrl-c');
    dataDir = mkdtempSync(join(tmpdir(), 'hello-stack-ctrl-c-'));
    // Built by the suite above: this one only runs what dist/ holds.
    stack = await startStack(vhost, dataDir, { detached: true, skipBuild: true });
    await waitHealthy(stack);
  }, 300_000);

  afterAll(async () => {
    if (stack && stack.process.exitCode === null) {
      try {
        process.kill(-(stack.process.pid as number), 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    await vhost?.delete();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it(
    'should let a server stream in flight send all 5 replies, then every app exit 0',
    async () => {
      const definition = protoLoader.loadSync(join(ROOT, 'proto', 'helloworld.proto'), { keepCase: true });
      const { Greeter } = (
        grpc.loadPackageDefinition(definition) as unknown as {
          helloworld: { Greeter: grpc.ServiceClientConstructor };
        }
      ).helloworld;
      const client = new Greeter(`127.0.0.1:${stack.ports.grpc}`, grpc.credentials.createInsecure());
      const call = (
        client as unknown as Record<string, (request: object) => grpc.ClientReadableStream<{ message: string }>>
      )['SayHelloStreamReply']({ name: 'Ctrl-C' });
      const replies: string[] = [];
      const status = new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
      call.on('error', () => undefined);
      await new Promise<void>((resolve) =>
        call.on('data', (reply: { message: string }) => {
          replies.push(reply.message);
          resolve();
        }),
      );
      // The terminal's Ctrl-C: every process of the group gets SIGINT (npm, the runner, each app); the
      // runner then sends each app a SIGTERM too.
      process.kill(-(stack.process.pid as number), 'SIGINT');
      const ended = await status;
      client.close();
      expect({ code: ended.code, replies: replies.length }).toEqual({ code: grpc.status.OK, replies: 5 });
      expect(replies[4]).toBe('Hello, Ctrl-C! (5/5)');
      await Promise.race([stack.exited, new Promise((done) => setTimeout(done, STOP_BOUND_MS))]);
      expect(stack.output()).toContain('apps stopped (exit codes): greeter 0, producer 0, consumer 0, event-handler 0');
      expect(stack.output()).not.toMatch(/cutting off the calls still in flight/);
    },
    STOP_BOUND_MS + 30_000,
  );
});

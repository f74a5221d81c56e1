import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, get } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  createTestVhost,
  freePort,
  scrapeMetrics,
  spawnApp,
  waitFor,
  type SpawnedApp,
  type TestVhost,
} from '@hello/testing';
import { parse } from 'yaml';
import { OtlpReceiver, SPAN_KIND, type ReceivedSpan } from './support/otlp-receiver';
import { PrometheusServer } from './support/prometheus-server';
import { checkMetrics } from '@hello/infra/promtool';
import { startBroker } from '@hello/infra/rabbitmq';

// The service platform as an operator sees it: the four apps as separate processes, exporting spans
// to an OTLP receiver inside the test, serving Prometheus metrics and health over HTTP, logging JSON.

const ROOT = resolve(__dirname, '..', '..', '..');

const START_MS = 120_000;
const DASHBOARD = join(ROOT, 'deploy', 'grafana', 'dashboards', 'hello-mesh.json');
const ALERTS = join(ROOT, 'deploy', 'prometheus', 'alerts.yml');

/** Every query of the dashboard, with Grafana's rate interval as a fixed window. */
function dashboardQueries(): { panel: string; expr: string }[] {
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as {
    panels: { title: string; targets?: { expr: string }[] }[];
  };
  return dashboard.panels.flatMap((panel) =>
    (panel.targets ?? []).map((target) => ({
      panel: panel.title,
      expr: target.expr.split('$__rate_interval').join('1m'),
    })),
  );
}

/** Every alerting and recording rule of alerts.yml. */
function alertRules(): { name: string; expr: string }[] {
  const rules = parse(readFileSync(ALERTS, 'utf8')) as {
    groups: { rules: { alert?: string; record?: string; expr: string }[] }[];
  };
  return rules.groups.flatMap((group) =>
    group.rules.map((rule) => ({ name: (rule.alert ?? rule.record) as string, expr: rule.expr })),
  );
}

const PROMQL_WORDS = new Set(
  [
    'sum min max avg count by without on ignoring group_left group_right and or unless bool offset',
    'rate irate increase delta min_over_time max_over_time avg_over_time histogram_quantile label_replace',
    'abs time vector scalar',
  ]
    .join(' ')
    .split(' '),
);

/** The metric names an expression selects (quoted strings, label matchers and grouping labels left out). */
function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/\b(by|without|on|ignoring)\s*\([^)]*\)/g, '');
  const names = bare.match(/[a-zA-Z_:][a-zA-Z0-9_:]*/g) ?? [];
  return [...new Set(names.filter((name) => !PROMQL_WORDS.has(name) && !/^\d/.test(name)))];
}
const IDLE_PAUSE_MS = 6_000;

/** GET over `agent`, reading the whole body; says whether the request went out on a reused socket. */
function httpGet(
  agent: Agent,
  port: number,
  path: string,
): Promise<{ status: number; reusedSocket: boolean; keepAlive: string | undefined }> {
  return new Promise((resolvePromise, reject) => {
    const request = get({ host: '127.0.0.1', port, path, agent }, (response) => {
      response.resume();
      response.once('end', () =>
        resolvePromise({
          status: response.statusCode ?? 0,
          reusedSocket: request.reusedSocket,
          keepAlive: response.headers['keep-alive']?.toString(),
        }),
      );
    });
    request.once('error', reject);
  });
}

interface Ports {
  grpc: number;
  greeterHttp: number;
  producer: number;
  consumer: number;
  eventHandler: number;
  tcp: number;
}

async function freePorts(): Promise<Ports> {
  return {
    grpc: await freePort(),
    greeterHttp: await freePort(),
    producer: await freePort(),
    consumer: await freePort(),
    eventHandler: await freePort(),
    tcp: await freePort(),
  };
}

function appEnv(ports: Ports, rabbitmqUrl: string, dataDir: string): Record<string, string> {
  return {
    RABBITMQ_URL: rabbitmqUrl,
    GREETER_GRPC_URL: `127.0.0.1:${ports.grpc}`,
    GREETER_HTTP_PORT: String(ports.greeterHttp),
    PRODUCER_HTTP_PORT: String(ports.producer),
    CONSUMER_HTTP_PORT: String(ports.consumer),
    EVENT_HANDLER_HOST: '127.0.0.1',
    EVENT_HANDLER_HTTP_PORT: String(ports.eventHandler),
    EVENT_HANDLER_TCP_PORT: String(ports.tcp),
    EVENT_HANDLER_DATA_DIR: dataDir,
    // Spans leave the batch processor within 100 ms instead of 5 s.
    OTEL_BSP_SCHEDULE_DELAY: '100',
  };
}

const APPS = {
  greeter: 'apps/greeter/src/main.ts',
  producer: 'apps/producer/src/main.ts',
  consumer: 'apps/consumer/src/main.ts',
  eventHandler: 'apps/event-handler/src/main.ts',
} as const;

function readyUrls(ports: Ports): string[] {
  return [ports.greeterHttp, ports.producer, ports.consumer, ports.eventHandler].map(
    (port) => `http://127.0.0.1:${port}/health/ready`,
  );
}

async function waitUntilReady(urls: string[], apps: SpawnedApp[]): Promise<void> {
  await waitFor(
    async () => {
      for (const app of apps) {
        if ((await Promise.race([app.exited.then(() => true), Promise.resolve(false)])) === true) {
          throw new Error(`an app exited during start-up:\n${app.output()}`);
        }
      }
      const statuses = await Promise.all(
        urls.map((url) =>
          fetch(url).then(
            (r) => r.status,
            () => 0,
          ),
        ),
      );
      return statuses.every((status) => status === 200);
    },
    { timeoutMs: START_MS, intervalMs: 500, message: 'every app ready' },
  );
}

function greeterClient(address: string): grpc.Client & Record<string, grpc.MethodDefinition<unknown, unknown>> {
  const definition = protoLoader.loadSync(join(ROOT, 'proto', 'helloworld.proto'));
  const { Greeter } = (
    grpc.loadPackageDefinition(definition) as unknown as {
      helloworld: { Greeter: grpc.ServiceClientConstructor };
    }
  ).helloworld;
  return new Greeter(address, grpc.credentials.createInsecure()) as never;
}

function sayHello(client: grpc.Client, name: string, metadata = new grpc.Metadata()): Promise<{ message: string }> {
  return new Promise((resolvePromise, reject) =>
    (client as unknown as Record<string, (...args: unknown[]) => void>)['SayHello'](
      { name },
      metadata,
      (error: grpc.ServiceError | null, reply: { message: string }) => (error ? reject(error) : resolvePromise(reply)),
    ),
  );
}

function newTraceparent(): { traceId: string; spanId: string; header: string } {
  const traceId = randomBytes(16).toString('hex');
  const spanId = randomBytes(8).toString('hex');
  return { traceId, spanId, header: `00-${traceId}-${spanId}-01` };
}

function one(spans: ReceivedSpan[], what: string, match: (span: ReceivedSpan) => boolean): ReceivedSpan {
  const found = spans.filter(match);
  if (found.length !== 1) {
    throw new Error(`expected one ${what}, found ${found.length} in:\n${spans.map(describeSpan).join('\n')}`);
  }
  return found[0];
}

function describeSpan(span: ReceivedSpan): string {
  return `${span.service} ${span.name} kind=${span.kind} ${span.spanId} <- ${span.parentSpanId ?? '-'} ${String(
    span.attributes['messaging.message.type'] ?? '',
  )}`;
}

const messageType = (span: ReceivedSpan) => span.attributes['messaging.message.type'];

/** Every span's parent is the caller's span or another span of the same trace: no broken links. */
function expectConnected(spans: ReceivedSpan[], callerSpanId: string): void {
  const ids = new Set(spans.map((span) => span.spanId));
  for (const span of spans) expect([callerSpanId, ...ids]).toContain(span.parentSpanId);
}

describe('the service platform across the four apps (separate processes, real RabbitMQ)', () => {
  let receiver: OtlpReceiver;
  let vhost: TestVhost;
  let dataDir: string;
  let ports: Ports;
  let apps: Record<keyof typeof APPS, SpawnedApp>;

  beforeAll(async () => {
    receiver = await OtlpReceiver.start();
    vhost = await createTestVhost('observability');
    dataDir = mkdtempSync(join(tmpdir(), 'observability-'));
    ports = await freePorts();
    const env = {
      ...appEnv(ports, vhost.url, dataDir),
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpUrl,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    };
    apps = {
      greeter: spawnApp(APPS.greeter, env),
      producer: spawnApp(APPS.producer, env),
      consumer: spawnApp(APPS.consumer, env),
      eventHandler: spawnApp(APPS.eventHandler, env),
    };
    await waitUntilReady(readyUrls(ports), Object.values(apps));
  }, START_MS + 30_000);

  afterAll(async () => {
    for (const app of Object.values(apps ?? {})) app.kill('SIGTERM');
    await Promise.all(Object.values(apps ?? {}).map((app) => Promise.race([app.exited, app.stop()])));
    await receiver?.close();
    await vhost?.delete().catch(() => undefined);
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  it('should keep one trace from a gRPC SayHello through the saga, the consumer and back to the event-handler', async () => {
    const caller = newTraceparent();
    const metadata = new grpc.Metadata();
    metadata.set('traceparent', caller.header);
    const name = `Trace ${randomUUID().slice(0, 8)}`;
    const client = greeterClient(`127.0.0.1:${ports.grpc}`);
    await expect(sayHello(client, name, metadata)).resolves.toEqual({ message: `Hello, ${name}!` });
    client.close();

    const spans = await waitFor(
      () => {
        const found = receiver.trace(caller.traceId);
        // Each app exports in batches of its own, so the last span to end need not arrive last: wait
        // for every span the trace must hold.
        const expected: ((span: ReceivedSpan) => boolean)[] = [
          (span) => span.service === 'greeter' && span.kind === SPAN_KIND.server,
          (span) => span.service === 'greeter' && span.kind === SPAN_KIND.producer,
          (span) => span.service === 'event-handler' && span.kind === SPAN_KIND.producer,
          (span) => span.service === 'consumer' && span.kind === SPAN_KIND.consumer,
          (span) => span.service === 'consumer' && span.kind === SPAN_KIND.producer,
          ...['greeting.greeted.v1', 'message.handled.v1'].map(
            (type) => (span: ReceivedSpan) =>
              span.service === 'event-handler' && span.kind === SPAN_KIND.consumer && messageType(span) === type,
          ),
        ];
        return expected.every((match) => found.some(match)) ? found : undefined;
      },
      { timeoutMs: 30_000, message: `every span of the trace of ${name}, up to message.handled in the event-handler` },
    );

    // gRPC server span (RPC semantic conventions), a child of the caller's span.
    const rpc = one(
      spans,
      'greeter SayHello server span',
      (s) => s.service === 'greeter' && s.kind === SPAN_KIND.server,
    );
    expect(rpc.name).toBe('grpc.helloworld.Greeter/SayHello');
    expect(rpc.parentSpanId).toBe(caller.spanId);
    expect(rpc.attributes).toMatchObject({
      'rpc.system': 'grpc',
      'rpc.service': 'helloworld.Greeter',
      'rpc.method': 'SayHello',
    });
    // The greeter's event, published from its buffer after the call: still the call's child.
    const greeted = one(spans, 'greeter publish', (s) => s.service === 'greeter' && s.kind === SPAN_KIND.producer);
    expect(greeted).toMatchObject({ name: 'publish hello.events', parentSpanId: rpc.spanId });
    expect(greeted.attributes).toMatchObject({
      'messaging.system': 'rabbitmq',
      'messaging.operation.type': 'send',
      'messaging.destination.name': 'hello.events',
      'messaging.rabbitmq.destination.routing_key': 'greeting.greeted',
    });
    // event-handler: consume → projection → saga → outbox publish of the welcome.
    const projected = one(
      spans,
      'event-handler consume of greeting.greeted',
      (s) => s.service === 'event-handler' && s.kind === SPAN_KIND.consumer && messageType(s) === 'greeting.greeted.v1',
    );
    expect(projected).toMatchObject({ name: 'process event-handler.events', parentSpanId: greeted.spanId });
    const welcome = one(
      spans,
      'welcome publish',
      (s) => s.service === 'event-handler' && s.kind === SPAN_KIND.producer,
    );
    expect(welcome).toMatchObject({ name: 'publish hello', parentSpanId: projected.spanId });
    // consumer: consume the welcome → publish message.handled.
    const handled = one(spans, 'consumer consume', (s) => s.service === 'consumer' && s.kind === SPAN_KIND.consumer);
    expect(handled).toMatchObject({ name: 'process hello', parentSpanId: welcome.spanId });
    const effect = one(spans, 'consumer publish', (s) => s.service === 'consumer' && s.kind === SPAN_KIND.producer);
    expect(effect).toMatchObject({ name: 'publish hello.events', parentSpanId: handled.spanId });
    const recorded = one(
      spans,
      'event-handler consume of message.handled',
      (s) => s.service === 'event-handler' && s.kind === SPAN_KIND.consumer && messageType(s) === 'message.handled.v1',
    );
    expect(recorded.parentSpanId).toBe(effect.spanId);
    expect(new Set(spans.map((s) => s.service))).toEqual(new Set(['greeter', 'event-handler', 'consumer']));
    expectConnected(spans, caller.spanId);
  });

  it('should keep one trace from POST /messages through the consumer to the event-handler, and log with its trace id', async () => {
    const caller = newTraceparent();
    const text = `traced ${randomUUID()}`;
    const response = await fetch(`http://127.0.0.1:${ports.producer}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', traceparent: caller.header },
      body: JSON.stringify({ text }),
    });
    expect(response.status).toBe(202);

    const spans = await waitFor(
      () => {
        const found = receiver.trace(caller.traceId);
        // Every span the trace must hold, whichever app's batch arrives last.
        const expected = [
          ['producer', SPAN_KIND.server],
          ['producer', SPAN_KIND.producer],
          ['consumer', SPAN_KIND.consumer],
          ['consumer', SPAN_KIND.producer],
          ['event-handler', SPAN_KIND.consumer],
        ];
        return expected.every(([service, kind]) => found.some((s) => s.service === service && s.kind === kind))
          ? found
          : undefined;
      },
      { timeoutMs: 30_000, message: 'every span of the trace of POST /messages, up to the event-handler' },
    );
    const request = one(spans, 'producer server span', (s) => s.service === 'producer' && s.kind === SPAN_KIND.server);
    expect(request).toMatchObject({ name: 'POST /messages', parentSpanId: caller.spanId });
    expect(request.attributes).toMatchObject({ 'http.route': '/messages', 'http.response.status_code': 202 });
    const queued = one(spans, 'producer publish', (s) => s.service === 'producer' && s.kind === SPAN_KIND.producer);
    expect(queued).toMatchObject({ name: 'publish hello', parentSpanId: request.spanId });
    const handled = one(spans, 'consumer consume', (s) => s.service === 'consumer' && s.kind === SPAN_KIND.consumer);
    expect(handled.parentSpanId).toBe(queued.spanId);
    const effect = one(spans, 'consumer publish', (s) => s.service === 'consumer' && s.kind === SPAN_KIND.producer);
    expect(effect.parentSpanId).toBe(handled.spanId);
    const recorded = one(
      spans,
      'event-handler consume',
      (s) => s.service === 'event-handler' && s.kind === SPAN_KIND.consumer,
    );
    expect(recorded).toMatchObject({ parentSpanId: effect.spanId });
    expect(messageType(recorded)).toBe('message.handled.v1');
    expectConnected(spans, caller.spanId);

    // The consumer's tutorial line is one JSON object with the ids of the span it was written in.
    const line = await waitFor(
      () =>
        apps.consumer
          .output()
          .split('\n')
          .find((candidate) => candidate.includes(` [x] Received ${text}`)),
      { timeoutMs: 10_000, message: 'the " [x] Received" log line' },
    );
    expect(JSON.parse(line)).toMatchObject({
      level: 'info',
      service: 'consumer',
      msg: ` [x] Received ${text}`,
      trace_id: caller.traceId,
      span_id: handled.spanId,
    });
  });

  it('should trace a line on the TCP echo through line.received to its projection', async () => {
    const text = `line ${randomUUID()}`;
    await new Promise<void>((resolvePromise, reject) => {
      const socket = connect(ports.tcp, '127.0.0.1', () => socket.write(`${text}\n`));
      socket.on('data', (echo) => {
        expect(echo.toString()).toBe(`${text}\n`);
        socket.end();
        resolvePromise();
      });
      socket.on('error', reject);
    });
    const spans = await waitFor(
      () => {
        const received = receiver.spans.find((s) => s.name === 'line.received receive');
        if (!received) return undefined;
        const trace = receiver.trace(received.traceId);
        const kinds = [SPAN_KIND.server, SPAN_KIND.producer, SPAN_KIND.consumer];
        return kinds.every((kind) => trace.some((s) => s.kind === kind)) ? trace : undefined;
      },
      { timeoutMs: 30_000, message: 'the trace of a line reaching its projection' },
    );
    const line = one(spans, 'line server span', (s) => s.kind === SPAN_KIND.server);
    expect(line).toMatchObject({ service: 'event-handler', parentSpanId: undefined });
    const published = one(spans, 'line.received publish', (s) => s.kind === SPAN_KIND.producer);
    expect(published).toMatchObject({ name: 'publish hello.events', parentSpanId: line.spanId });
    const projected = one(spans, 'line.received consume', (s) => s.kind === SPAN_KIND.consumer);
    expect(projected).toMatchObject({ name: 'process event-handler.events', parentSpanId: published.spanId });
    expect(messageType(projected)).toBe('line.received.v1');
  });

  it("should serve every app's /metrics in a form promtool accepts, with the RED families of its transports", async () => {
    const families: [number, string[]][] = [
      [
        ports.greeterHttp,
        [
          'grpc_server_handled_total',
          'grpc_server_handling_seconds_bucket',
          'amqp_messages_published_total',
          'greeter_events_pending',
          'greeter_events_high_water',
          'greeter_events_capacity',
        ],
      ],
      [
        ports.producer,
        ['http_requests_total', 'http_request_duration_seconds_bucket', 'amqp_publish_confirm_seconds_bucket'],
      ],
      [
        ports.consumer,
        ['amqp_messages_consumed_total', 'amqp_message_handling_seconds_bucket', 'amqp_messages_in_flight'],
      ],
      [
        ports.eventHandler,
        ['amqp_messages_consumed_total', 'event_handler_events_applied_total', 'http_requests_total'],
      ],
    ];
    for (const [port, names] of families) {
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      const { status, output } = checkMetrics(text);
      expect({ port, status, output }).toEqual({ port, status: 0, output: '' });
      for (const name of names) expect(text).toMatch(new RegExp(`^${name}[{ ]`, 'm'));
      expect(text).toMatch(/^process_cpu_seconds_total /m);
      expect(text).toMatch(/^nodejs_heap_size_used_bytes /m);
    }
  });

  it('should answer a keep-alive client that reuses its connection after an idle pause longer than Node’s default timeout', async () => {
    // A client (a Prometheus scrape, a load balancer) keeps idle connections open and reuses them; the
    // server must not close them first, or a request sent as it closes fails ("other side closed").
    const appPorts = [ports.greeterHttp, ports.producer, ports.consumer, ports.eventHandler];
    const results = await Promise.all(
      appPorts.map(async (port) => {
        const agent = new Agent({ keepAlive: true, maxSockets: 1 });
        try {
          const first = await httpGet(agent, port, '/metrics');
          // Idle past Node's default keepAliveTimeout (5 s): the pause is what is under test.
          await new Promise((done) => setTimeout(done, IDLE_PAUSE_MS));
          const second = await httpGet(agent, port, '/metrics');
          return {
            port,
            status: [first.status, second.status],
            reusedSocket: second.reusedSocket,
            keepAliveSeconds: Number(/timeout=(\d+)/.exec(first.keepAlive ?? '')?.[1]),
          };
        } finally {
          agent.destroy();
        }
      }),
    );
    for (const result of results) {
      expect(result).toEqual({ port: result.port, status: [200, 200], reusedSocket: true, keepAliveSeconds: 65 });
    }
  }, 30_000);

  it('should move the gRPC RED counters by exactly the calls made', async () => {
    const url = `http://127.0.0.1:${ports.greeterHttp}`;
    const labels = { grpc_service: 'helloworld.Greeter', grpc_method: 'SayHello' };
    const before = await scrapeMetrics(url);
    const client = greeterClient(`127.0.0.1:${ports.grpc}`);
    for (const name of ['Red', 'Green', 'Blue']) await sayHello(client, name);
    await expect(sayHello(client, '')).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT });
    client.close();
    const after = await scrapeMetrics(url);
    const delta = (name: string, extra: Record<string, string> = {}) =>
      after.value(name, { ...labels, ...extra }) - before.value(name, { ...labels, ...extra });
    expect(delta('grpc_server_handled_total', { grpc_code: 'OK' })).toBe(3);
    expect(delta('grpc_server_handled_total', { grpc_code: 'INVALID_ARGUMENT' })).toBe(1);
    expect(delta('grpc_server_started_total')).toBe(4);
    expect(delta('grpc_server_handling_seconds_count')).toBe(4);
    expect(after.value('grpc_server_in_flight_calls', labels)).toBe(0);
  });

  it('should give data to every dashboard query and evaluate every alert rule in Prometheus scraping the apps', async () => {
    const jobs = (
      parse(readFileSync(join(ROOT, 'deploy', 'prometheus', 'prometheus.yml'), 'utf8')) as {
        scrape_configs: { job_name: string }[];
      }
    ).scrape_configs.map((config) => config.job_name);
    const portOf: Record<string, number> = {
      greeter: ports.greeterHttp,
      producer: ports.producer,
      consumer: ports.consumer,
      'event-handler': ports.eventHandler,
    };
    expect(jobs.sort()).toEqual(Object.keys(portOf).sort());
    const prometheus = await PrometheusServer.start({
      jobs: Object.fromEntries(jobs.map((job) => [job, [`127.0.0.1:${portOf[job]}`]])),
      ruleFiles: [ALERTS],
    });
    const client = greeterClient(`127.0.0.1:${ports.grpc}`);
    try {
      // A little load on every transport while Prometheus scrapes every second.
      const load = async () => {
        await Promise.all(['Ann', 'Bo', 'Cy'].map((name) => sayHello(client, name)));
        await sayHello(client, '').catch(() => undefined);
        for (const text of ['one', 'two']) {
          await fetch(`http://127.0.0.1:${ports.producer}/messages`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ text }),
          });
        }
        await fetch(`http://127.0.0.1:${ports.eventHandler}/greetings/Ann`).then((r) => r.arrayBuffer());
      };
      // Queue depths come from RabbitMQ's rabbitmq_prometheus plugin, which this broker does not
      // serve here: those queries must evaluate, but cannot have data.
      const needsBrokerPlugin = (expr: string) => /\brabbitmq_/.test(expr);
      const queries = dashboardQueries();
      expect(queries.length).toBeGreaterThan(20);
      let missing: string[] = [];
      await waitFor(
        async () => {
          await load();
          missing = [];
          for (const { panel, expr } of queries) {
            const result = await prometheus.query(expr);
            if (result.status !== 'success') throw new Error(`panel "${panel}": ${expr}: ${result.error}`);
            if (!needsBrokerPlugin(expr) && result.data?.result.length === 0) missing.push(`${panel}: ${expr}`);
          }
          return missing.length === 0;
        },
        {
          timeoutMs: 60_000,
          intervalMs: 1_000,
          message: `data for every dashboard query; none yet for:\n${missing.join('\n')}`,
        },
      ).catch((error: Error) => {
        throw new Error(`${error.message}\nstill without data:\n${missing.join('\n')}`);
      });

      // Every alert and recording rule parses and evaluates, and reads only metrics the apps export.
      const rules = alertRules();
      const exported = new Set(
        (
          (await prometheus.query('count by (__name__) ({__name__=~".+"})')).data?.result as {
            metric: { __name__: string };
          }[]
        ).map((series) => series.metric.__name__),
      );
      const recorded = new Set(rules.map((rule) => rule.name));
      for (const rule of rules) {
        const result = await prometheus.query(rule.expr);
        expect({ rule: rule.name, status: result.status, error: result.error }).toEqual({
          rule: rule.name,
          status: 'success',
          error: undefined,
        });
        const unknown = metricNames(rule.expr).filter(
          (name) => !exported.has(name) && !recorded.has(name) && !needsBrokerPlugin(name),
        );
        expect({ rule: rule.name, unknown }).toEqual({ rule: rule.name, unknown: [] });
      }
      // Prometheus evaluates them itself every second: each healthy.
      const states = await waitFor(
        async () => {
          const loaded = await prometheus.rules();
          return loaded.length === rules.length && loaded.every((rule) => rule.health !== 'unknown')
            ? loaded
            : undefined;
        },
        { timeoutMs: 20_000, message: 'every rule evaluated once' },
      );
      expect(states.filter((rule) => rule.health !== 'ok')).toEqual([]);
    } catch (error) {
      throw new Error(`${(error as Error).message}\nPrometheus log:\n${prometheus.log()}`, { cause: error });
    } finally {
      client.close();
      await prometheus.stop();
    }
  }, 150_000);
});

describe('exporting spans by each OTLP protocol, and not at all when the SDK is off', () => {
  let receiver: OtlpReceiver;
  let vhost: TestVhost;
  const started: SpawnedApp[] = [];

  let ports: { protobuf: number; overGrpc: number; disabled: number };

  // Starting three apps is start-up, bounded like every other start here, not part of the test's time.
  beforeAll(async () => {
    receiver = await OtlpReceiver.start();
    vhost = await createTestVhost('otlp-protocols');
    const grpcEndpoint = await receiver.startGrpc();
    const [protobuf, overGrpc, disabled] = await Promise.all([
      startProducer({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpUrl, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' }),
      startProducer({ OTEL_EXPORTER_OTLP_ENDPOINT: grpcEndpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }),
      startProducer({
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpUrl,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_SDK_DISABLED: 'true',
      }),
    ]);
    ports = { protobuf, overGrpc, disabled };
  }, START_MS + 30_000);

  afterAll(async () => {
    for (const app of started) app.kill('SIGTERM');
    await Promise.all(started.map((app) => Promise.race([app.exited, app.stop()])));
    await receiver?.close();
    await vhost?.delete().catch(() => undefined);
  }, 60_000);

  async function startProducer(env: Record<string, string>): Promise<number> {
    const port = await freePort();
    const app = spawnApp(APPS.producer, {
      RABBITMQ_URL: vhost.url,
      PRODUCER_HTTP_PORT: String(port),
      OTEL_BSP_SCHEDULE_DELAY: '100',
      ...env,
    });
    started.push(app);
    await waitUntilReady([`http://127.0.0.1:${port}/health/ready`], [app]);
    return port;
  }

  async function post(port: number, traceparent: string): Promise<void> {
    const response = await fetch(`http://127.0.0.1:${port}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', traceparent },
      body: JSON.stringify({ text: 'exported?' }),
    });
    expect(response.status).toBe(202);
  }

  it('should export over http/protobuf, grpc and http/json, and send nothing with OTEL_SDK_DISABLED=true', async () => {
    const [a, b, c] = [newTraceparent(), newTraceparent(), newTraceparent()];
    await post(ports.protobuf, a.header);
    await post(ports.overGrpc, b.header);
    await post(ports.disabled, c.header);
    await waitFor(() => receiver.rawExportCarries('http', a.traceId), {
      timeoutMs: 20_000,
      message: 'an http/protobuf export carrying the trace',
    });
    await waitFor(() => receiver.rawExportCarries('grpc', b.traceId), {
      timeoutMs: 20_000,
      message: 'a grpc export carrying the trace',
    });
    // The others' exports arrived meanwhile; the disabled SDK's never does.
    await new Promise((resolvePromise) => setTimeout(resolvePromise, 1_500));
    expect(receiver.trace(c.traceId)).toEqual([]);
    expect(receiver.rawExports.some((entry) => entry.body.includes(Buffer.from(c.traceId, 'hex')))).toBe(false);
  });
});

describe('readiness follows the broker; liveness does not', () => {
  let broker: { url: string; stop(): Promise<void> } | undefined;
  let amqpPort: number;
  let managementPort: number;
  const name = `readiness-${process.pid}`;
  const started: SpawnedApp[] = [];
  let ports: Ports;
  let dataDir: string;

  beforeAll(async () => {
    amqpPort = await freePort();
    managementPort = await freePort();
    broker = await startBroker({ name, port: amqpPort, managementPort });
    ports = await freePorts();
    dataDir = mkdtempSync(join(tmpdir(), 'readiness-'));
    // No OTLP endpoint: spans are made but nothing is sent, and nothing complains.
    const env = appEnv(ports, broker.url, dataDir);
    started.push(spawnApp(APPS.producer, env), spawnApp(APPS.consumer, env), spawnApp(APPS.eventHandler, env));
    await waitUntilReady(readyUrls(ports).slice(1), started);
  }, START_MS + 60_000);

  afterAll(async () => {
    for (const app of started) app.kill('SIGTERM');
    await Promise.all(started.map((app) => Promise.race([app.exited, app.stop()])));
    await broker?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  it('should answer 503 naming the broker while it is down, 200 once it is back, and stay live throughout', async () => {
    const urls = readyUrls(ports).slice(1);
    const live = urls.map((url) => url.replace('/ready', '/live'));
    await broker?.stop();
    broker = undefined;
    await waitFor(
      async () => (await Promise.all(urls.map((url) => fetch(url).then((r) => r.status)))).every((s) => s === 503),
      { timeoutMs: 30_000, message: 'every app unready' },
    );
    const body = (await (await fetch(urls[1])).json()) as { status: string; error: Record<string, { status: string }> };
    expect(body.status).toBe('error');
    expect(body.error['consumer:hello']).toMatchObject({ status: 'down' });
    for (const url of live) expect((await fetch(url)).status).toBe(200);

    broker = await startBroker({ name, port: amqpPort, managementPort });
    await waitFor(
      async () => (await Promise.all(urls.map((url) => fetch(url).then((r) => r.status)))).every((s) => s === 200),
      { timeoutMs: 60_000, message: 'every app ready again' },
    );
    for (const app of started) {
      const lines = app
        .output()
        .split('\n')
        .filter((line) => line.startsWith('{'));
      expect(lines.length).toBeGreaterThan(0);
      for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
      expect(app.output()).not.toMatch(/OTLP|otlp|4318/);
    }
  });
});

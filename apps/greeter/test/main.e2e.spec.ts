import { status } from '@grpc/grpc-js';
import type { HelloReply } from '@hello/contracts';
import {
  AmqpTestClient,
  createTestVhost,
  freePort,
  jsonOf,
  spawnApp,
  waitFor,
  type SpawnedApp,
  type TestVhost,
} from '@hello/testing';
import {
  greeterClient,
  healthClient,
  nextMessage,
  outcomeOf,
  sayHello,
  unary,
  type DynamicClient,
} from './support/greeter-harness';

const MAIN = 'apps/greeter/src/main.ts';

// main.ts itself in a process of its own (compiled on the fly, as in Jest), so that signals and
// exit codes are real; a build would take longer than the whole suite.
describe('the greeter process (main.ts)', () => {
  let app: SpawnedApp | undefined;
  let vhost: TestVhost;
  const clients: DynamicClient[] = [];

  // Each process publishes its events into a vhost of its own on the test broker.
  beforeEach(async () => {
    vhost = await createTestVhost('greeter-main');
  });

  afterEach(async () => {
    clients.splice(0).forEach((client) => client.close());
    await app?.stop();
    app = undefined;
    await vhost.delete();
  });

  it.each(['SIGTERM', 'SIGINT'] as const)(
    'should serve, then on %s drain the call in flight and exit 0',
    async (signal) => {
      const url = `127.0.0.1:${await freePort()}`;
      app = spawnApp(MAIN, {
        GREETER_GRPC_URL: url,
        GREETER_HTTP_PORT: '0',
        GREETER_SHUTDOWN_GRACE_MS: '5000',
        RABBITMQ_URL: vhost.url,
      });
      await app.waitForOutput(new RegExp(`gRPC server listening on ${url.replace(/\./g, '\\.')}`));

      const client = greeterClient(url);
      const health = healthClient(url);
      clients.push(client, health);
      await expect(sayHello(client, { name: 'process' })).resolves.toEqual({ message: 'Hello, process!' });
      await expect(unary(health, 'Check', { service: '' })).resolves.toEqual({ status: 'SERVING' });

      const watch = health['Watch']({ service: 'helloworld.Greeter' });
      const watchOutcome = outcomeOf(watch);
      await nextMessage(watch);
      const stream = client['SayHelloStreamReply']({ name: 'inflight' });
      const streamOutcome = outcomeOf<HelloReply>(stream);
      await nextMessage(stream);

      app.kill(signal);

      expect((await watchOutcome).messages).toEqual([{ status: 'SERVING' }, { status: 'NOT_SERVING' }]);
      const { messages, status: final } = await streamOutcome;
      expect(final.code).toBe(status.OK);
      expect(messages).toHaveLength(5);
      await expect(app.exited).resolves.toEqual({ code: 0, signal: null });
      expect(app.output()).toContain(`${signal} received: draining`);
    },
    30_000,
  );

  it('should keep draining on a second signal (Ctrl-C: the terminal and the runner both signal), cutting calls off only at the end of the grace period', async () => {
    const url = `127.0.0.1:${await freePort()}`;
    app = spawnApp(MAIN, {
      GREETER_GRPC_URL: url,
      GREETER_HTTP_PORT: '0',
      GREETER_SHUTDOWN_GRACE_MS: '3000',
      RABBITMQ_URL: vhost.url,
    });
    await app.waitForOutput(new RegExp(`gRPC server listening on ${url.replace(/\./g, '\\.')}`));
    const client = greeterClient(url);
    clients.push(client);
    // A bidi stream its caller never ends: only the grace period ends it.
    const bidi = client['SayHelloBidiStream']();
    const outcome = outcomeOf<HelloReply>(bidi);
    bidi.write({ name: 'lingering' });
    await nextMessage(bidi);

    const startedAt = Date.now();
    app.kill('SIGINT');
    await app.waitForOutput(/SIGINT received: draining/);
    app.kill('SIGTERM');
    await app.waitForOutput(/SIGTERM received again: still draining/);

    expect((await outcome).status.code).toBe(status.CANCELLED);
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(2_500);
    await expect(app.exited).resolves.toEqual({ code: 0, signal: null });
    expect(Date.now() - startedAt).toBeLessThan(15_000);
  }, 30_000);

  it('should publish a greeting.greeted event per greeting, all flushed before it exits on SIGTERM', async () => {
    const amqp = await AmqpTestClient.connect(vhost.url);
    try {
      await amqp.bindQueue('greeter-main.events', 'hello.events', 'greeting.greeted');
      const received = await amqp.collect('greeter-main.events');
      const url = `127.0.0.1:${await freePort()}`;
      app = spawnApp(MAIN, { GREETER_GRPC_URL: url, GREETER_HTTP_PORT: '0', RABBITMQ_URL: vhost.url });
      await app.waitForOutput(/connected to amqp:\/\/guest:\*\*\*@/);
      await app.waitForOutput(/gRPC server listening/);
      expect(app.output()).not.toContain(':guest@');
      const client = greeterClient(url);
      clients.push(client);
      const names = Array.from({ length: 50 }, (_, i) => `process-${i}`);
      await Promise.all(names.map((name) => sayHello(client, { name })));

      // At once: whatever is still unconfirmed is flushed by the shutdown.
      app.kill('SIGTERM');
      await expect(app.exited).resolves.toEqual({ code: 0, signal: null });
      expect(app.output()).toContain('events: published 50, retried 0, dropped 0');
      await waitFor(() => received.length >= names.length, { message: `${names.length} events` });
      expect(received.map((message) => jsonOf<{ name: string }>(message).name).sort()).toEqual([...names].sort());
    } finally {
      await amqp.close();
    }
  }, 30_000);

  it.each([
    ['GREETER_GRPC_URL', 'nonsense', 'must be host:port'],
    ['GREETER_SHUTDOWN_GRACE_MS', '-1', 'must be a whole number'],
    ['RABBITMQ_URL', 'http://localhost:5672', 'protocol must be amqp: or amqps:'],
  ])(
    'should refuse to start with %s=%s, naming the variable, and exit 1',
    async (variable, value, problem) => {
      app = spawnApp(MAIN, { [variable]: value });
      await expect(app.exited).resolves.toEqual({ code: 1, signal: null });
      expect(app.output()).toContain(`invalid configuration: ${variable}: ${problem}`);
      expect(app.output()).not.toContain('listening');
    },
    30_000,
  );
});

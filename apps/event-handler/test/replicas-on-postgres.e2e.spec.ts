import {
  GreetingGreetedIntegrationEvent,
  HELLO_MESSAGE_TYPE,
  integrationEventMessage,
  Topology,
} from '@hello/contracts';
import {
  AmqpTestClient,
  createTestDatabase,
  createTestVhost,
  freePort,
  spawnApp,
  type SpawnedApp,
  type TestDatabase,
  type TestVhost,
  waitFor,
} from '@hello/testing';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Stats } from '../src/projections/projection-store';

// Two consumers and two event-handlers, each a real process, on one RabbitMQ vhost and one
// PostgreSQL database: hello messages go producer-style onto `hello`, the consumers turn each
// into a message.handled event; greetings go greeter-style onto hello.events; both
// event-handlers consume event-handler.events at once, and each first greeting's welcome goes
// back through `hello` and the consumers.

interface EventHandlerProcess {
  readonly app: SpawnedApp;
  readonly httpPort: number;
}

const TIMEOUT_MS = 240_000;

describe('event-handler replicas on PostgreSQL, with consumer replicas', () => {
  let vhost: TestVhost;
  let database: TestDatabase;
  let client: AmqpTestClient;
  let dataDir: string;
  const running: SpawnedApp[] = [];
  const eventHandlers: EventHandlerProcess[] = [];

  const startEventHandler = async (): Promise<EventHandlerProcess> => {
    const httpPort = await freePort();
    const app = spawnApp('apps/event-handler/src/main.ts', {
      RABBITMQ_URL: vhost.url,
      EVENT_HANDLER_DATABASE_URL: database.url,
      // Unused with PostgreSQL; its own folder proves nothing is shared through it.
      EVENT_HANDLER_DATA_DIR: mkdtempSync(join(dataDir, 'replica-')),
      EVENT_HANDLER_HOST: '127.0.0.1',
      EVENT_HANDLER_HTTP_PORT: String(httpPort),
      EVENT_HANDLER_TCP_PORT: '0',
      EVENT_HANDLER_OUTBOX_RETRY_MS: '200',
      EVENT_HANDLER_RETRY_DELAYS_MS: '100,200',
      LOG_LEVEL: 'warn',
    });
    running.push(app);
    await waitFor(
      async () => (await fetch(`http://127.0.0.1:${httpPort}/health/ready`).catch(() => undefined))?.status === 200,
      {
        message: 'event-handler healthy',
        timeoutMs: 60_000,
      },
    ).catch(async (error: Error) => {
      throw new Error(`${error.message}; output:\n${app.output()}`);
    });
    const started = { app, httpPort };
    eventHandlers.push(started);
    return started;
  };

  const startConsumer = async (): Promise<SpawnedApp> => {
    const app = spawnApp('apps/consumer/src/main.ts', {
      RABBITMQ_URL: vhost.url,
      CONSUMER_HTTP_PORT: String(await freePort()),
      CONSUMER_RETRY_DELAYS_MS: '100,200',
    });
    running.push(app);
    await app.waitForOutput(/consumer listening on HTTP port/, 60_000);
    return app;
  };

  const stats = async (on: EventHandlerProcess): Promise<Stats> =>
    (await (await fetch(`http://127.0.0.1:${on.httpPort}/stats`)).json()) as Stats;

  /** Sum of a counter's series in one event-handler's /metrics. */
  const counter = async (on: EventHandlerProcess, name: string): Promise<number> => {
    const text = await (await fetch(`http://127.0.0.1:${on.httpPort}/metrics`)).text();
    const series = new RegExp(`^event_handler_${name}(?:\\{[^}]*\\})? (\\d+)$`, 'gm');
    return [...text.matchAll(series)].reduce((sum, match) => sum + Number(match[1]), 0);
  };

  const publishHello = async (ids: string[]): Promise<void> => {
    for (const id of ids) {
      client.channel.publish('', Topology.helloQueue, Buffer.from(JSON.stringify({ text: `text of ${id}` })), {
        messageId: id,
        type: HELLO_MESSAGE_TYPE,
        contentType: 'application/json',
        persistent: true,
      });
    }
    await client.channel.waitForConfirms();
  };

  const publishGreetings = async (greetings: GreetingGreetedIntegrationEvent[]): Promise<void> => {
    for (const event of greetings) {
      const message = integrationEventMessage(event);
      client.channel.publish(message.exchange, message.routingKey, Buffer.from(JSON.stringify(message.body)), {
        messageId: message.messageId,
        type: message.type,
        contentType: 'application/json',
        persistent: true,
      });
    }
    await client.channel.waitForConfirms();
  };

  /** `times` greetings of each of `names`, interleaved (name by name, round by round). */
  const greetingsOf = (names: string[], times: number) =>
    Array.from({ length: times }, () =>
      names.map((name) => GreetingGreetedIntegrationEvent.create({ name, message: `Hello, ${name}!` })),
    ).flat();

  beforeAll(async () => {
    vhost = await createTestVhost('event-handler-replicas');
    database = await createTestDatabase('event_handler_replicas');
    client = await AmqpTestClient.connect(vhost.url);
    dataDir = mkdtempSync(join(tmpdir(), 'event-handler-replicas-'));
    // The event-handlers declare their queue and its bindings; then the consumers, `hello`.
    await startEventHandler();
    await startEventHandler();
    await startConsumer();
    await startConsumer();
  }, TIMEOUT_MS);

  afterAll(async () => {
    await Promise.all(running.splice(0).map((app) => app.stop()));
    await client?.close();
    await vhost?.delete().catch(() => undefined);
    await database?.drop().catch(() => undefined);
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it(
    'should count every event exactly once and publish each welcome once, with both replicas applying',
    async () => {
      const names = Array.from({ length: 60 }, (_, i) => `phase1-${i}`);
      const helloIds = Array.from({ length: 300 }, (_, i) => `phase1-hello-${i}`);
      await Promise.all([publishGreetings(greetingsOf(names, 3)), publishHello(helloIds)]);

      // 180 greetings, 300 hello messages and 60 welcomes, each handled into a message.handled.
      const [a, b] = eventHandlers;
      const expected = { total: 180, names: 60, handled: 360, applied: 540 };
      await waitFor(async () => (await stats(a)).eventsApplied >= expected.applied, {
        message: `${expected.applied} events applied`,
        timeoutMs: 120_000,
      });
      // Settle: nothing more may arrive (a double count would show here).
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const seen = await stats(b);
      expect(seen).toMatchObject({
        greetings: { total: expected.total, names: expected.names },
        messages: { handled: expected.handled },
        eventsApplied: expected.applied,
        outbox: { pending: 0, sent: names.length },
      });
      expect(await stats(a)).toEqual(seen);
      for (const name of names.slice(0, 5)) {
        const greeting = await (await fetch(`http://127.0.0.1:${a.httpPort}/greetings/${name}`)).json();
        expect(greeting).toMatchObject({ name, count: 3 });
      }
      // Both replicas took events, and between them published each welcome exactly once.
      const applied = [await counter(a, 'events_applied_total'), await counter(b, 'events_applied_total')];
      expect(applied[0]).toBeGreaterThan(0);
      expect(applied[1]).toBeGreaterThan(0);
      expect(applied[0] + applied[1]).toBe(expected.applied);
      expect((await counter(a, 'outbox_sent_total')) + (await counter(b, 'outbox_sent_total'))).toBe(names.length);
    },
    TIMEOUT_MS,
  );

  it(
    'should lose nothing and count nothing twice when a replica is killed (SIGKILL) mid-stream',
    async () => {
      const [victim, survivor] = eventHandlers;
      const before = await stats(survivor);
      const names = Array.from({ length: 150 }, (_, i) => `phase2-${i}`);
      const greetings = greetingsOf(names, 10);
      const helloIds = Array.from({ length: 300 }, (_, i) => `phase2-hello-${i}`);
      const victimApplied = await counter(victim, 'events_applied_total');
      const survivorApplied = await counter(survivor, 'events_applied_total');
      await Promise.all([publishGreetings(greetings), publishHello(helloIds)]);

      // Both replicas are applying this stream when one dies.
      await waitFor(
        async () =>
          (await counter(victim, 'events_applied_total')) >= victimApplied + 200 &&
          (await counter(survivor, 'events_applied_total')) >= survivorApplied + 200,
        { message: 'both replicas applying', timeoutMs: 120_000, intervalMs: 20 },
      );
      victim.app.kill('SIGKILL');
      expect((await victim.app.exited).signal).toBe('SIGKILL');
      const atKill = await stats(survivor);
      const expected = {
        total: before.greetings.total + greetings.length,
        names: before.greetings.names + names.length,
        // Every hello message and every welcome becomes one message.handled event.
        handled: before.messages.handled + helloIds.length + names.length,
      };
      const expectedApplied = before.eventsApplied + greetings.length + helloIds.length + names.length;
      expect(atKill.eventsApplied).toBeLessThan(expectedApplied);

      // The victim's unacked deliveries go to the survivor; its uncommitted transactions rolled
      // back with its connections; welcomes it committed but never sent, the survivor's sweep sends.
      await waitFor(async () => (await stats(survivor)).eventsApplied >= expectedApplied, {
        message: `${expectedApplied} events applied`,
        timeoutMs: 180_000,
      });
      await waitFor(async () => (await stats(survivor)).outbox.pending === 0, {
        message: 'outbox emptied',
        timeoutMs: 30_000,
      });
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const after = await stats(survivor);
      expect(after).toMatchObject({
        greetings: { total: expected.total, names: expected.names },
        messages: { handled: expected.handled },
        eventsApplied: expectedApplied,
        outbox: { pending: 0, sent: before.outbox.sent + names.length },
      });
      for (const name of [names[0], names[74], names[149]]) {
        const greeting = await (await fetch(`http://127.0.0.1:${survivor.httpPort}/greetings/${name}`)).json();
        expect(greeting).toMatchObject({ name, count: 10 });
      }
    },
    TIMEOUT_MS,
  );
});

import type { Server } from 'node:http';
import { INestApplication } from '@nestjs/common';
import type { ConsumeMessage } from 'amqplib';
import { GreetingGreetedIntegrationEvent, Topology } from '@hello/contracts';
import {
  AmqpTestClient,
  createTestVhost,
  freePort,
  jsonOf,
  spawnApp,
  waitFor,
  type SpawnedApp,
  type TestVhost,
  testPlatformConfig,
} from '@hello/testing';
import { ProducerBroker } from '../src/messaging/producer-broker';
import type { ProducerConfig } from '../src/config/producer.config';
import { createProducerApp, prepareProducerHttp, startProducerApp } from '../src/producer.app';

// POST /greetings on a producer (in this process, real HTTP) calling the greeter's main.ts in a
// process of its own over hello.rpc on a real RabbitMQ, so that the greeter can be stopped, paused
// and killed for real.

const GREETER_MAIN = 'apps/greeter/src/main.ts';
const READY = /answering requests on 'hello\.rpc'/;

interface Producer {
  readonly app: INestApplication;
  readonly baseUrl: string;
  readonly broker: ProducerBroker;
}

async function startProducer(rabbitmqUrl: string, rpcTimeoutMs: number): Promise<Producer> {
  const port = await freePort();
  const config: ProducerConfig = {
    platform: testPlatformConfig(),
    httpPort: port,
    rabbitmqUrl,
    publishTimeoutMs: 2_000,
    retryAfterSeconds: 5,
    rpcTimeoutMs,
  };
  const app = await createProducerApp(config, { logger: false });
  // 1,000 clients connect at once: a listen backlog above Node's default 511 keeps the kernel from
  // resetting the connections that do not fit.
  prepareProducerHttp(app, config);
  await app.init();
  await new Promise<void>((resolve) =>
    (app.getHttpServer() as Server).listen({ port, host: '127.0.0.1', backlog: 2048 }, resolve),
  );
  const broker = app.get(ProducerBroker);
  await broker.greeterRpc.waitUntilReady();
  return { app, baseUrl: `http://127.0.0.1:${port}`, broker };
}

async function startGreeter(rabbitmqUrl: string): Promise<SpawnedApp> {
  const greeter = spawnApp(GREETER_MAIN, {
    GREETER_GRPC_URL: `127.0.0.1:${await freePort()}`,
    GREETER_HTTP_PORT: '0',
    RABBITMQ_URL: rabbitmqUrl,
    GREETER_SHUTDOWN_GRACE_MS: '3000',
  });
  await greeter.waitForOutput(READY, 60_000);
  return greeter;
}

interface Answer {
  readonly name: string;
  readonly status: number;
  readonly body: { message?: string; error?: string };
  readonly elapsedMs: number;
}

async function greet(baseUrl: string, name: string): Promise<Answer> {
  const started = Date.now();
  const response = await fetch(`${baseUrl}/greetings`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name }),
  });
  return {
    name,
    status: response.status,
    body: (await response.json()) as Answer['body'],
    elapsedMs: Date.now() - started,
  };
}

const names = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => `${prefix}-${i}`);

describe('POST /greetings over AMQP request/reply (greeter process, real RabbitMQ)', () => {
  let vhost: TestVhost;
  let probe: AmqpTestClient;
  let events: ConsumeMessage[];
  let greeter: SpawnedApp | undefined;
  let producer: Producer;
  /** Gives up after 1.5 s: for the tests where the greeter is away. */
  let impatient: Producer;
  const greetedNames = () => new Set(events.map((event) => jsonOf<{ name: string }>(event).name));

  beforeAll(async () => {
    vhost = await createTestVhost('producer-greet');
    probe = await AmqpTestClient.connect(vhost.url);
    await probe.bindQueue('greeted', Topology.eventsExchange, GreetingGreetedIntegrationEvent.routingKey);
    events = await probe.collect('greeted');
    greeter = await startGreeter(vhost.url);
    producer = await startProducer(vhost.url, 60_000);
    impatient = await startProducer(vhost.url, 1_500);
  }, 120_000);

  afterAll(async () => {
    await producer?.app.close();
    await impatient?.app.close();
    await greeter?.stop();
    await probe?.close();
    await vhost?.delete();
  });

  it('should answer 200 with the greeting, and the greeter publishes greeting.greeted for it', async () => {
    const answer = await greet(producer.baseUrl, 'World');
    expect(answer).toMatchObject({ status: 200, body: { message: 'Hello, World!' } });
    await waitFor(() => greetedNames().has('World'), { message: 'greeting.greeted for World' });
  });

  it.each([
    ['an empty name', JSON.stringify({ name: '' }), 400, 'INVALID_ARGUMENT', 'name: must not be empty'],
    ['no name', JSON.stringify({}), 400, 'INVALID_ARGUMENT', 'name: must be a string'],
    [
      'a name over the greeter’s receive limit',
      JSON.stringify({ name: 'a'.repeat(5_000) }),
      413,
      'RESOURCE_EXHAUSTED',
      'Received message larger than max (5011 vs 4096)',
    ],
  ])('should answer %s with the status and message of the error reply', async (_, body, status, error, message) => {
    const response = await fetch(`${producer.baseUrl}/greetings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    expect(response.status).toBe(status);
    expect(await response.json()).toEqual({ statusCode: status, error, message });
  });

  it('should answer malformed JSON with 400 without calling the greeter', async () => {
    const response = await fetch(`${producer.baseUrl}/greetings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"name": ',
    });
    expect(response.status).toBe(400);
  });

  it('should answer 1,000 concurrent calls, each with its own greeting', async () => {
    const all = names('concurrent', 1_000);
    const answers = await Promise.all(all.map((name) => greet(producer.baseUrl, name)));
    expect(answers.filter((a) => a.status !== 200)).toEqual([]);
    expect(answers.filter((a) => a.body.message !== `Hello, ${a.name}!`)).toEqual([]);
    expect(producer.broker.greeterRpc.pendingCalls).toBe(0);
  }, 240_000);

  it('should answer 504 within the timeout while the greeter is stopped, and none of those requests is handled once it is back', async () => {
    greeter?.kill('SIGTERM');
    await greeter?.exited;
    const away = names('stopped', 20);
    const answers = await Promise.all(away.map((name) => greet(impatient.baseUrl, name)));
    for (const answer of answers) {
      expect(answer).toMatchObject({ status: 504, body: { error: 'rpc-timeout' } });
      expect(answer.elapsedMs).toBeGreaterThanOrEqual(1_450);
      expect(answer.elapsedMs).toBeLessThan(1_500 + 2_500);
    }
    // The broker dropped them itself (expiration), into the dead-letter queue with x-death "expired".
    const dead = await probe.get(Topology.helloRpcDeadLetterQueue, away.length, 15_000);
    expect(new Set(dead.map((message) => jsonOf<{ name: string }>(message).name))).toEqual(new Set(away));
    expect(dead.map((message) => (message.properties.headers?.['x-death'] as { reason: string }[])[0].reason)).toEqual(
      away.map(() => 'expired'),
    );
    greeter = await startGreeter(vhost.url);
    // A request that was answered would have been greeted before this one (one queue, in order).
    expect(await greet(producer.baseUrl, 'back')).toMatchObject({ status: 200 });
    await waitFor(() => greetedNames().has('back'));
    expect(away.filter((name) => greetedNames().has(name))).toEqual([]);
  }, 120_000);

  it('should drop requests a paused greeter picks up after their deadline, unhandled', async () => {
    greeter?.kill('SIGSTOP');
    const paused = names('paused', 20);
    const answers = await Promise.all(paused.map((name) => greet(impatient.baseUrl, name)));
    expect(answers.map((a) => a.status)).toEqual(paused.map(() => 504));
    greeter?.kill('SIGCONT');
    expect(await greet(producer.baseUrl, 'resumed')).toMatchObject({ status: 200 });
    await waitFor(() => greetedNames().has('resumed'));
    expect(paused.filter((name) => greetedNames().has(name))).toEqual([]);
  }, 120_000);

  it('should give each caller its own reply or a clean 504 when the greeter is killed -9 with requests queued', async () => {
    greeter?.kill('SIGSTOP');
    const queued = names('killed', 200);
    const calls = Promise.all(queued.map((name) => greet(producer.baseUrl, name)));
    await waitFor(() => producer.broker.greeterRpc.pendingCalls === queued.length);
    await greeter?.stop();
    greeter = await startGreeter(vhost.url);
    const answers = await calls;
    const wrong = answers.filter(
      (a) => !(a.status === 200 && a.body.message === `Hello, ${a.name}!`) && !(a.status === 504),
    );
    expect(wrong).toEqual([]);
    // The restarted greeter got the unacked and the queued requests: the callers got their replies.
    expect(answers.filter((a) => a.status === 200).length).toBe(queued.length);
  }, 120_000);
});

describe('POST /greetings against a server that answers late', () => {
  let vhost: TestVhost;
  let slowServer: AmqpTestClient;
  let producer: Producer;

  beforeAll(async () => {
    vhost = await createTestVhost('producer-late');
    producer = await startProducer(vhost.url, 500);
    slowServer = await AmqpTestClient.connect(vhost.url);
    // A server that ignores deadlines: answers `slow` after 1.5 s, everything else at once.
    await slowServer.channel.consume(Topology.helloRpcQueue, (message) => {
      if (!message) return;
      const { name } = jsonOf<{ name: string }>(message);
      const reply = () => {
        slowServer.channel.sendToQueue(
          message.properties.replyTo,
          Buffer.from(JSON.stringify({ message: `Hello, ${name}!` })),
          {
            correlationId: message.properties.correlationId,
            contentType: 'application/json',
          },
        );
        slowServer.channel.ack(message);
      };
      if (name === 'slow') setTimeout(reply, 1_500);
      else reply();
    });
  });

  afterAll(async () => {
    await producer?.app.close();
    await slowServer?.close();
    await vhost?.delete();
  });

  it('should answer 504, drop the late reply and count it, never giving it to another caller', async () => {
    const before = producer.broker.greeterRpc.lateReplies;
    expect(await greet(producer.baseUrl, 'slow')).toMatchObject({ status: 504 });
    // Callers in the window where the late reply arrives get their own replies.
    const others = await Promise.all(
      names('other', 40).map(async (name, i) => {
        await new Promise((resolve) => setTimeout(resolve, i * 50));
        return greet(producer.baseUrl, name);
      }),
    );
    expect(others.filter((a) => a.body.message !== `Hello, ${a.name}!`)).toEqual([]);
    await waitFor(() => producer.broker.greeterRpc.lateReplies === before + 1, { message: 'the late reply counted' });
  }, 60_000);
});

describe('POST /greetings with the broker down', () => {
  let producer: Producer;

  beforeAll(async () => {
    const config: ProducerConfig = {
      platform: testPlatformConfig(),
      retryAfterSeconds: 5,
      httpPort: 0,
      rabbitmqUrl: `amqp://guest:guest@127.0.0.1:${await freePort()}`,
      publishTimeoutMs: 200,
      rpcTimeoutMs: 5_000,
    };
    const { app, httpPort } = await startProducerApp(await createProducerApp(config, { logger: false }), config);
    producer = { app, baseUrl: `http://127.0.0.1:${httpPort}`, broker: app.get(ProducerBroker) };
  });

  afterAll(async () => {
    await producer?.app.close();
  });

  it('should answer 503 at once', async () => {
    const answer = await greet(producer.baseUrl, 'nobody');
    expect(answer).toMatchObject({ status: 503, body: { error: 'rpc-unavailable' } });
    expect(answer.elapsedMs).toBeLessThan(2_000);
  });
});

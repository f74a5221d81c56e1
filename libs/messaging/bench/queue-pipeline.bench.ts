/**
 * Producer path + consumer path through @hello/messaging (ConfirmedPublisher → AmqpServer) against
 * raw amqplib doing the same work with the same durability, in one run:
 * quorum work queue (same arguments), persistent messages, publisher confirms, manual acks, same
 * prefetch, same number of publishes in flight.
 *
 *   node -r ./libs/testing/src/lib/ts-register.cjs libs/messaging/bench/queue-pipeline.bench.ts
 *
 * Uses the broker at RABBITMQ_URL when set (queues of its own, deleted afterwards), else starts a
 * RabbitMQ node with tools/rabbitmq/broker.cjs.
 * Two scenarios: throughput (BENCH_MESSAGES, default 5000, with BENCH_IN_FLIGHT publishes in flight,
 * default 50: the queue backs up, so latencies there are mostly waiting in the queue) and latency
 * (1000 messages, one publish at a time: the time through an idle pipeline). BENCH_PREFETCH (20).
 */
import { Controller, Logger, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Payload } from '@nestjs/microservices';
import { connect } from 'amqplib';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  AmqpConnection,
  AmqpPattern,
  AmqpServer,
  ConfirmedPublisher,
  workQueueArguments,
  workQueueTopology,
} from '../src';

interface Scenario {
  readonly messages: number;
  readonly inFlight: number;
}
const THROUGHPUT: Scenario = {
  messages: Number(process.env['BENCH_MESSAGES'] ?? 5000),
  inFlight: Number(process.env['BENCH_IN_FLIGHT'] ?? 50),
};
const LATENCY: Scenario = { messages: 1000, inFlight: 1 };
const PREFETCH = Number(process.env['BENCH_PREFETCH'] ?? 20);
const TYPE = 'bench.message.v1';

interface Result {
  readonly scenario: string;
  readonly name: string;
  readonly publishPerSecond: number;
  readonly endToEndPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

/** Runs `publish(n)` for n in [0, messages) with `inFlight` at a time. */
async function publishAll(
  { messages, inFlight }: Scenario,
  publish: (n: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < messages) await publish(next++);
    }),
  );
}

function summarize(
  scenario: Scenario,
  name: string,
  started: number,
  published: number,
  latencies: number[],
  finished: number,
): Result {
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (q: number) =>
    sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return {
    scenario: scenario.inFlight === 1 ? 'latency' : 'throughput',
    name,
    publishPerSecond: Math.round(
      (scenario.messages * 1000) / (published - started),
    ),
    endToEndPerSecond: Math.round(
      (scenario.messages * 1000) / (finished - started),
    ),
    p50Ms: Number(at(0.5).toFixed(1)),
    p99Ms: Number(at(0.99).toFixed(1)),
  };
}

function waitUntil(condition: () => boolean): Promise<number> {
  return new Promise((resolve) => {
    const check = () =>
      condition() ? resolve(performance.now()) : setTimeout(check, 1);
    check();
  });
}

async function benchLibrary(
  url: string,
  scenario: Scenario,
  queue: string,
): Promise<Result> {
  const latencies: number[] = [];

  @Controller()
  class BenchHandler {
    @AmqpPattern(TYPE)
    handle(@Payload() body: { sentAt: number }): void {
      latencies.push(performance.now() - body.sentAt);
    }
  }

  @Module({ controllers: [BenchHandler] })
  class BenchModule {}

  const server = new AmqpServer({
    url,
    queue,
    prefetch: PREFETCH,
    retry: { attempts: 1, delaysMs: [1000] },
  });
  const app = await NestFactory.createMicroservice(BenchModule, {
    strategy: server,
    logger: false,
  });
  await app.listen();
  const connection = new AmqpConnection({
    url,
    connectionName: 'bench.publisher',
  });
  await connection.connect();
  const publisher = new ConfirmedPublisher({
    connection,
    appId: 'bench',
    topology: workQueueTopology(queue),
  });
  await publisher.waitForConnect();

  const started = performance.now();
  await publishAll(scenario, (n) =>
    publisher.publish({
      exchange: '',
      routingKey: queue,
      body: { sentAt: performance.now(), n },
      messageId: `m-${n}`,
      type: TYPE,
      mandatory: true,
    }),
  );
  const published = performance.now();
  const finished = await waitUntil(() => latencies.length >= scenario.messages);
  await publisher.close();
  await connection.close();
  await app.close();
  return summarize(
    scenario,
    '@hello/messaging',
    started,
    published,
    latencies,
    finished,
  );
}

async function benchRaw(
  url: string,
  scenario: Scenario,
  queue: string,
): Promise<Result> {
  const latencies: number[] = [];
  const consuming = await connect(url);
  const consumer = await consuming.createChannel();
  await consumer.assertQueue(queue, {
    durable: true,
    arguments: { ...workQueueArguments(queue) },
  });
  await consumer.prefetch(PREFETCH);
  await consumer.consume(queue, (message) => {
    if (!message) return;
    const body = JSON.parse(message.content.toString('utf8')) as {
      sentAt: number;
    };
    latencies.push(performance.now() - body.sentAt);
    consumer.ack(message);
  });
  const publishing = await connect(url);
  const channel = await publishing.createConfirmChannel();

  const started = performance.now();
  await publishAll(
    scenario,
    (n) =>
      new Promise<void>((resolve, reject) =>
        channel.publish(
          '',
          queue,
          Buffer.from(JSON.stringify({ sentAt: performance.now(), n })),
          {
            persistent: true,
            mandatory: true,
            messageId: `m-${n}`,
            type: TYPE,
            contentType: 'application/json',
          },
          (error) => (error ? reject(error) : resolve()),
        ),
      ),
  );
  const published = performance.now();
  const finished = await waitUntil(() => latencies.length >= scenario.messages);
  await publishing.close();
  await consuming.close();
  return summarize(
    scenario,
    'raw amqplib',
    started,
    published,
    latencies,
    finished,
  );
}

const ROOT = path.resolve(__dirname, '..', '..', '..');

interface BrokerTool {
  startBroker(options: {
    name: string;
  }): Promise<{ url: string; name: string; stop(): Promise<void> }>;
}

/** Deletes a run's work queue and the dead-letter queue declared with it. */
async function deleteQueues(url: string, queue: string): Promise<void> {
  const connection = await connect(url);
  const channel = await connection.createChannel();
  await channel.deleteQueue(queue);
  await channel.deleteQueue(`${queue}.dead`);
  await connection.close();
}

async function main(): Promise<void> {
  Logger.overrideLogger(['error']);
  // A plain CommonJS tool of the repository, loaded at run time.
  const tool = require(
    path.join(ROOT, 'tools', 'rabbitmq', 'broker.cjs'),
  ) as BrokerTool;
  const own = process.env['RABBITMQ_URL']
    ? undefined
    : await tool.startBroker({ name: `bench-${process.pid}` });
  const url = process.env['RABBITMQ_URL'] ?? (own?.url as string);
  try {
    const results: Result[] = [];
    // Alternate twice so that neither side always runs on a colder broker.
    for (const scenario of [THROUGHPUT, LATENCY]) {
      for (const bench of [benchRaw, benchLibrary, benchRaw, benchLibrary]) {
        const queue = `bench.${randomBytes(4).toString('hex')}`;
        try {
          results.push(await bench(url, scenario, queue));
        } finally {
          await deleteQueues(url, queue);
        }
      }
    }
    console.log(
      `throughput: ${THROUGHPUT.messages} messages, ${THROUGHPUT.inFlight} publishes in flight; latency: ` +
        `${LATENCY.messages} messages one at a time; prefetch ${PREFETCH}, quorum queue, persistent, confirms, manual ack`,
    );
    console.table(results);
  } finally {
    if (own) {
      await own.stop();
      fs.rmSync(path.join(ROOT, '.local', 'rabbitmq', own.name), {
        recursive: true,
        force: true,
      });
    }
  }
}

main().then(
  () => process.exit(0),
  (error: Error) => {
    console.error(error);
    process.exit(1);
  },
);

#!/usr/bin/env node
// The baselines for the gRPC benchmark: a bare @grpc/grpc-js server with the same proto and the
// same reply as the greeter. Listens on RAW_GRPC_URL and prints READY.
//
// With RAW_EVENTS_URL set it also does the greeter's other work with raw amqplib: for every call a
// greeting.greeted event (the same JSON body, AMQP properties and traceparent header) is published,
// persistent, to the hello.events topic exchange on a confirm channel. As in the greeter, the reply
// does not wait for the confirm; a nacked event is counted and reported at exit.
'use strict';
const { randomUUID } = require('node:crypto');
const path = require('node:path');
const grpc = require('@grpc/grpc-js');
const loader = require('@grpc/proto-loader');
const { rawTraceparent } = require('./lib.cjs');

const definition = loader.loadSync(path.resolve(__dirname, '../../proto/helloworld.proto'), {
  keepCase: true,
  longs: String,
  enums: Number,
  defaults: true,
  oneofs: true,
});
// Loaded from the .proto at run time: its shape is the proto's, which grpc-js cannot know.
const { Greeter } = /** @type {{ helloworld: { Greeter: { service: import('@grpc/grpc-js').ServiceDefinition } } }} */ (
  /** @type {unknown} */ (grpc.loadPackageDefinition(definition))
).helloworld;

/** @param {string | undefined} url */
async function eventPublisher(url) {
  if (!url) return undefined;
  const amqp = require('amqplib');
  const connection = await amqp.connect(url);
  const channel = await connection.createConfirmChannel();
  await channel.assertExchange('hello.events', 'topic', { durable: true });
  const stats = { published: 0, confirmed: 0, failed: 0 };
  return {
    stats,
    /**
     * @param {string} name
     * @param {string} message
     */
    publish(name, message) {
      const eventId = randomUUID();
      const body = { eventId, name, message, greetedAt: new Date().toISOString() };
      stats.published++;
      channel.publish(
        'hello.events',
        'greeting.greeted',
        Buffer.from(JSON.stringify(body)),
        {
          persistent: true,
          contentType: 'application/json',
          messageId: eventId,
          type: 'greeting.greeted.v1',
          appId: 'raw-greeter',
          timestamp: Math.floor(Date.now() / 1000),
          headers: { traceparent: rawTraceparent() },
        },
        (error) => (error ? stats.failed++ : stats.confirmed++),
      );
    },
    close: () => connection.close(),
  };
}

async function main() {
  const events = await eventPublisher(process.env['RAW_EVENTS_URL']);
  const server = new grpc.Server();
  server.addService(Greeter.service, {
    /**
     * @param {import('@grpc/grpc-js').ServerUnaryCall<{ name: string }, { message: string }>} call
     * @param {import('@grpc/grpc-js').sendUnaryData<{ message: string }>} callback
     */
    SayHello: (call, callback) => {
      const message = `Hello, ${call.request.name}!`;
      callback(null, { message });
      events?.publish(call.request.name, message);
    },
  });
  // Set by the benchmark that starts this process (grpc.cjs).
  server.bindAsync(
    /** @type {string} */ (process.env['RAW_GRPC_URL']),
    grpc.ServerCredentials.createInsecure(),
    (error) => {
      if (error) {
        process.stderr.write(`${error.message}\n`);
        process.exit(1);
      }
      process.stdout.write('READY\n');
    },
  );
  process.on('SIGTERM', () =>
    server.tryShutdown(async () => {
      if (events) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        process.stdout.write(`events: ${JSON.stringify(events.stats)}\n`);
        await events.close().catch(() => undefined);
      }
      process.exit(0);
    }),
  );
}

main().catch((error) => {
  process.stderr.write(`${error.stack || error.message}\n`);
  process.exit(1);
});

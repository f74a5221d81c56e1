#!/usr/bin/env node
// The baseline for the RPC benchmark: a bare amqplib request/reply server doing the greeter's work
// on hello.rpc without the framework layers. It declares the same quorum queue with the same
// arguments, consumes with manual acks and the same prefetch, decodes the JSON (or text) body, checks
// the name, replies on the default exchange to reply_to with the correlation id on its confirm
// channel, publishes a greeting.greeted event (persistent, to hello.events, not waited for, as the
// greeter does) and acks after the reply's confirm. Listens on RAW_RPC_URL; prints READY; reports
// its counts at exit.
'use strict';
const { randomUUID } = require('node:crypto');
const amqp = require('amqplib');
const { rawTraceparent } = require('./lib.cjs');

const QUEUE = 'hello.rpc';
const PREFETCH = Number(process.env['RAW_RPC_PREFETCH'] || 100);

async function main() {
  // Set by the benchmark that starts this process (rpc.cjs).
  const connection = await amqp.connect(/** @type {string} */ (process.env['RAW_RPC_URL']));
  const channel = await connection.createConfirmChannel();
  await channel.assertExchange('hello.events', 'topic', { durable: true });
  await channel.assertQueue(`${QUEUE}.dead`, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  await channel.assertQueue(QUEUE, {
    durable: true,
    arguments: {
      'x-queue-type': 'quorum',
      'x-dead-letter-exchange': '',
      'x-dead-letter-routing-key': `${QUEUE}.dead`,
      'x-delivery-limit': 10,
      'x-dead-letter-strategy': 'at-least-once',
      'x-overflow': 'reject-publish',
    },
  });
  await channel.prefetch(PREFETCH);
  const stats = { answered: 0, events: 0, eventsConfirmed: 0 };
  await channel.consume(QUEUE, (message) => {
    if (!message) return;
    const { replyTo, correlationId, contentType, headers } = message.properties;
    const text = message.content.toString('utf8');
    const name = /json/.test(contentType || '') ? JSON.parse(text).name : text;
    const valid = typeof name === 'string' && name.trim() !== '' && name.length <= 256;
    const body = valid
      ? { message: `Hello, ${name}!` }
      : { error: { code: 'INVALID_ARGUMENT', message: 'name: must not be empty' } };
    channel.publish(
      '',
      replyTo,
      Buffer.from(JSON.stringify(body)),
      {
        contentType: 'application/json',
        correlationId,
        headers: { traceparent: rawTraceparent(headers?.['traceparent']) },
      },
      (error) => {
        if (error) return;
        stats.answered++;
        channel.ack(message);
      },
    );
    if (!valid) return;
    const eventId = randomUUID();
    stats.events++;
    channel.publish(
      'hello.events',
      'greeting.greeted',
      Buffer.from(JSON.stringify({ eventId, name, message: body.message, greetedAt: new Date().toISOString() })),
      {
        persistent: true,
        contentType: 'application/json',
        messageId: eventId,
        type: 'greeting.greeted.v1',
        appId: 'raw-greeter',
        timestamp: Math.floor(Date.now() / 1000),
        headers: { traceparent: rawTraceparent(headers?.['traceparent']) },
      },
      (error) => !error && stats.eventsConfirmed++,
    );
  });
  process.stdout.write('READY\n');
  process.on('SIGTERM', async () => {
    await new Promise((resolve) => setTimeout(resolve, 300));
    process.stdout.write(`rpc: ${JSON.stringify(stats)}\n`);
    await connection.close().catch(() => undefined);
    process.exit(0);
  });
}

main().catch((error) => {
  process.stderr.write(`${error.stack || error.message}\n`);
  process.exit(1);
});

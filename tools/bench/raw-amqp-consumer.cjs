#!/usr/bin/env node
// The baseline for the queue benchmark: what the consumer app does, written straight on amqplib
// with the same durability — the same quorum queue (arguments passed in RAW_QUEUE_ARGUMENTS),
// manual acks with the same prefetch, and the message.handled event published persistent and
// confirmed before the ack, with the same properties and trace context as the consumer app's. No
// framework, no validation, no de-duplication, no retry policy.
'use strict';
const { randomUUID } = require('node:crypto');
const amqp = require('amqplib');

/** A child span of the message's traceparent (or a new trace), as the consumer app sends. */
function childTraceparent(parent) {
  const match = /^00-([0-9a-f]{32})-[0-9a-f]{16}-([0-9a-f]{2})$/.exec(typeof parent === 'string' ? parent : '');
  // randomUUID draws from Node's cached entropy: no system call per id.
  const traceId = match ? match[1] : randomUUID().replace(/-/g, '');
  return `00-${traceId}-${randomUUID().replace(/-/g, '').slice(0, 16)}-${match ? match[2] : '01'}`;
}

async function main() {
  const url = process.env.RAW_AMQP_URL;
  const prefetch = Number(process.env.RAW_PREFETCH || 20);
  const queueArguments = JSON.parse(process.env.RAW_QUEUE_ARGUMENTS);
  const connection = await amqp.connect(url);
  const publish = await connection.createConfirmChannel();
  const consume = await connection.createChannel();
  await publish.assertExchange('hello.events', 'topic', { durable: true });
  await consume.assertQueue('hello', { durable: true, arguments: queueArguments });
  await consume.prefetch(prefetch);
  await consume.consume(
    'hello',
    (message) => {
      const isJson = (message.properties.contentType || '').startsWith('application/json');
      const text = isJson ? JSON.parse(message.content.toString('utf8')).text : message.content.toString('utf8');
      const messageId = message.properties.messageId;
      const event = { eventId: `${messageId}:handled`, messageId, text, handledAt: new Date().toISOString() };
      publish.publish(
        'hello.events',
        'message.handled',
        Buffer.from(JSON.stringify(event)),
        {
          persistent: true,
          contentType: 'application/json',
          messageId: event.eventId,
          correlationId: messageId,
          type: 'message.handled.v1',
          appId: 'consumer',
          timestamp: Math.floor(Date.now() / 1000),
          headers: { traceparent: childTraceparent(message.properties.headers?.traceparent) },
        },
        (error) => (error ? consume.nack(message, false, true) : consume.ack(message)),
      );
    },
    { noAck: false },
  );
  process.stdout.write('READY\n');
  process.on('SIGTERM', async () => {
    await connection.close().catch(() => undefined);
    process.exit(0);
  });
}

main().catch((error) => {
  process.stderr.write(`${error.stack}\n`);
  process.exit(1);
});

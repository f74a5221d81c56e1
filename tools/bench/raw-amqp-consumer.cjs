#!/usr/bin/env node
// The baseline for the queue benchmark: what the consumer app does, written straight on amqplib
// with the same durability — the same quorum queue (arguments passed in RAW_QUEUE_ARGUMENTS),
// manual acks with the same prefetch, and the message.handled event published persistent and
// confirmed before the ack, with the same properties and trace context as the consumer app's. No
// framework, no validation, no de-duplication, no retry policy.
'use strict';
const amqp = require('amqplib');
const { rawTraceparent } = require('./lib.cjs');

async function main() {
  // The RAW_* variables are set by the benchmark that starts this process (queue.cjs).
  const url = /** @type {string} */ (process.env['RAW_AMQP_URL']);
  const prefetch = Number(process.env['RAW_PREFETCH'] || 20);
  const queueArguments = JSON.parse(/** @type {string} */ (process.env['RAW_QUEUE_ARGUMENTS']));
  const connection = await amqp.connect(url);
  const publish = await connection.createConfirmChannel();
  const consume = await connection.createChannel();
  await publish.assertExchange('hello.events', 'topic', { durable: true });
  await consume.assertQueue('hello', { durable: true, arguments: queueArguments });
  await consume.prefetch(prefetch);
  await consume.consume(
    'hello',
    (delivery) => {
      // Never null: nothing cancels this consumer but the process ending.
      const message = /** @type {import('amqplib').ConsumeMessage} */ (delivery);
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
          headers: { traceparent: rawTraceparent(message.properties.headers?.['traceparent']) },
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

// Peer of the consumer app on @golevelup/nestjs-rabbitmq, the most used NestJS RabbitMQ library: a
// @RabbitSubscribe handler on the same quorum queue (arguments passed in PEER_QUEUE_ARGUMENTS) with
// the same prefetch, which publishes the same message.handled event through the library's
// AmqpConnection (amqp-connection-manager's confirm channel: `publish` resolves on the broker's
// confirm) and returns, upon which the library acks. The same messages on the wire as the project's:
// a plain JSON body, the same AMQP properties and traceparent header, on both hops. No validation, no
// de-duplication; a failed handler is requeued (the library's default).
import 'reflect-metadata';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AmqpConnection, RabbitMQModule, RabbitSubscribe } from '@golevelup/nestjs-rabbitmq';
import type { ConsumeMessage } from 'amqplib';
import { traceparent } from '../traceparent';

const prefetchCount = Number(process.env['PEER_PREFETCH'] || 20);

@Injectable()
class HandleMessageHandler {
  constructor(private readonly amqp: AmqpConnection) {}

  @RabbitSubscribe({
    queue: 'hello',
    queueOptions: { durable: true, arguments: JSON.parse(process.env['PEER_QUEUE_ARGUMENTS'] as string) },
  })
  async handle(body: { text: string }, message: ConsumeMessage): Promise<void> {
    const messageId = message.properties.messageId as string;
    const event = { eventId: `${messageId}:handled`, messageId, text: body.text, handledAt: new Date().toISOString() };
    await this.amqp.publish('hello.events', 'message.handled', event, {
      persistent: true,
      contentType: 'application/json',
      messageId: event.eventId,
      correlationId: messageId,
      type: 'message.handled.v1',
      appId: 'golevelup-consumer',
      timestamp: Math.floor(Date.now() / 1000),
      headers: { traceparent: traceparent(message.properties.headers?.['traceparent']) },
    });
  }
}

@Module({
  imports: [
    RabbitMQModule.forRoot({
      uri: process.env['PEER_AMQP_URL'] as string,
      exchanges: [{ name: 'hello.events', type: 'topic', options: { durable: true } }],
      prefetchCount,
      connectionInitOptions: { wait: true },
    }),
  ],
  providers: [HandleMessageHandler],
})
class AppModule {}

async function main(): Promise<void> {
  const app = await NestFactory.createApplicationContext(AppModule, { logger: ['error', 'warn'] });
  await app.init();
  process.stdout.write('READY\n');
  process.once('SIGTERM', async () => {
    await app.close().catch(() => undefined);
    process.exit(0);
  });
}

main().catch((error: Error) => {
  process.stderr.write(`${error.stack ?? error.message}\n`);
  process.exit(1);
});

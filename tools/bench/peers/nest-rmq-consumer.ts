// Peer of the consumer app on NestJS's stock RMQ transport: a Transport.RMQ microservice consuming
// the same quorum queue (arguments passed in PEER_QUEUE_ARGUMENTS) with manual acks (noAck: false)
// and the same prefetch, which for every message publishes the same message.handled event through
// Nest's ClientRMQ (`emit`: persistent, on amqp-connection-manager's confirm channel) and acks once
// the broker has confirmed it. On the wire both hops carry Nest's envelope
// {"pattern": ..., "data": ...} as the body, which its transport requires; the AMQP properties and the
// traceparent header are the same as the project's. No validation, no de-duplication, no retries.
import 'reflect-metadata';
import { Controller, Inject, Module, type OnApplicationBootstrap } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  ClientProxy,
  ClientsModule,
  Ctx,
  EventPattern,
  Payload,
  RmqContext,
  RmqRecordBuilder,
  Transport,
  type MicroserviceOptions,
} from '@nestjs/microservices';
import type { Channel, Message } from 'amqplib';
import { lastValueFrom } from 'rxjs';
import { traceparent } from './traceparent';

const EVENTS = Symbol('EVENTS');
const url = process.env['PEER_AMQP_URL'] as string;

@Controller()
class HandleMessageController {
  constructor(@Inject(EVENTS) private readonly events: ClientProxy) {}

  @EventPattern<string>('hello.message.v1')
  async handle(@Payload() data: { text: string }, @Ctx() context: RmqContext): Promise<void> {
    const message = context.getMessage() as Message;
    const channel = context.getChannelRef() as Channel;
    const messageId = message.properties.messageId as string;
    const event = { eventId: `${messageId}:handled`, messageId, text: data.text, handledAt: new Date().toISOString() };
    // Nest's RmqRecordOptions type leaves correlationId out, but emit hands every option to amqplib.
    const options = {
      persistent: true,
      contentType: 'application/json',
      messageId: event.eventId,
      correlationId: messageId,
      type: 'message.handled.v1',
      appId: 'nest-consumer',
      timestamp: Math.floor(Date.now() / 1000),
      headers: { traceparent: traceparent(message.properties.headers?.['traceparent']) },
    };
    const record = new RmqRecordBuilder(event).setOptions(options).build();
    try {
      await lastValueFrom(this.events.emit('message.handled', record), { defaultValue: undefined });
      channel.ack(message);
    } catch {
      channel.nack(message, false, true);
    }
  }
}

@Module({
  imports: [
    ClientsModule.register([
      {
        name: EVENTS,
        transport: Transport.RMQ,
        options: { urls: [url], exchange: 'hello.events', exchangeType: 'topic', wildcards: true, persistent: true },
      },
    ]),
  ],
  controllers: [HandleMessageController],
})
class AppModule implements OnApplicationBootstrap {
  constructor(@Inject(EVENTS) private readonly events: ClientProxy) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.events.connect();
  }
}

async function main(): Promise<void> {
  const app = await NestFactory.createMicroservice<MicroserviceOptions>(AppModule, {
    transport: Transport.RMQ,
    options: {
      urls: [url],
      queue: 'hello',
      queueOptions: { durable: true, arguments: JSON.parse(process.env['PEER_QUEUE_ARGUMENTS'] as string) },
      noAck: false,
      prefetchCount: Number(process.env['PEER_PREFETCH'] || 20),
    },
    logger: ['error', 'warn'],
  });
  await app.listen();
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

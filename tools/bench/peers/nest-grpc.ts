// Peer of the greeter: what a team gets from NestJS's stock transports. A NestJS app on
// Transport.GRPC (Nest's own ServerGrpc) with the same proto and reply; with PEER_EVENTS_URL set, each
// SayHello also emits the same greeting.greeted event through Nest's ClientRMQ (`emit`) to the
// hello.events topic exchange: persistent, on amqp-connection-manager's confirm channel, the reply not
// waiting for the confirm (as in the greeter). On the wire the event differs from the greeter's in one
// way Nest imposes: the body is Nest's envelope {"pattern": "greeting.greeted", "data": {...}}; the
// AMQP properties and the traceparent header are the same. Serves PEER_PROTO_PATH on PEER_GRPC_URL,
// prints READY, and at SIGTERM prints the events it published and had confirmed.
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { Controller, Inject, Module, type DynamicModule, type OnApplicationBootstrap } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  ClientProxy,
  ClientsModule,
  GrpcMethod,
  RmqRecordBuilder,
  Transport,
  type MicroserviceOptions,
} from '@nestjs/microservices';
import { traceparent } from './traceparent';

const EVENTS = Symbol('EVENTS');
const stats = { published: 0, confirmed: 0, failed: 0 };

@Controller()
class GreeterController {
  constructor(@Inject(EVENTS) private readonly events: ClientProxy | null) {}

  @GrpcMethod('Greeter', 'SayHello')
  sayHello({ name }: { name: string }): { message: string } {
    const message = `Hello, ${name}!`;
    if (this.events) {
      const eventId = randomUUID();
      const record = new RmqRecordBuilder({ eventId, name, message, greetedAt: new Date().toISOString() })
        .setOptions({
          persistent: true,
          contentType: 'application/json',
          messageId: eventId,
          type: 'greeting.greeted.v1',
          appId: 'nest-greeter',
          timestamp: Math.floor(Date.now() / 1000),
          headers: { traceparent: traceparent() },
        })
        .build();
      stats.published++;
      this.events.emit('greeting.greeted', record).subscribe({
        complete: () => stats.confirmed++,
        error: () => stats.failed++,
      });
    }
    return { message };
  }
}

@Module({})
class AppModule implements OnApplicationBootstrap {
  constructor(@Inject(EVENTS) private readonly events: ClientProxy | null) {}

  static register(eventsUrl: string | undefined): DynamicModule {
    if (!eventsUrl) {
      return { module: AppModule, controllers: [GreeterController], providers: [{ provide: EVENTS, useValue: null }] };
    }
    return {
      module: AppModule,
      imports: [
        ClientsModule.register([
          {
            name: EVENTS,
            transport: Transport.RMQ,
            options: {
              urls: [eventsUrl],
              // Publish to a topic exchange with the pattern as routing key, rather than to a queue.
              exchange: 'hello.events',
              exchangeType: 'topic',
              wildcards: true,
              persistent: true,
            },
          },
        ]),
      ],
      controllers: [GreeterController],
    };
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.events?.connect();
  }
}

async function main(): Promise<void> {
  const app = await NestFactory.createMicroservice<MicroserviceOptions>(
    AppModule.register(process.env['PEER_EVENTS_URL']),
    {
      transport: Transport.GRPC,
      options: {
        url: process.env['PEER_GRPC_URL'],
        package: 'helloworld',
        protoPath: process.env['PEER_PROTO_PATH'] as string,
        loader: { keepCase: true, longs: String, enums: Number, defaults: true, oneofs: true },
      },
      logger: ['error', 'warn'],
    },
  );
  await app.listen();
  process.stdout.write('READY\n');
  process.once('SIGTERM', async () => {
    await new Promise((resolve) => setTimeout(resolve, 500));
    if (process.env['PEER_EVENTS_URL']) process.stdout.write(`events: ${JSON.stringify(stats)}\n`);
    await app.close().catch(() => undefined);
    process.exit(0);
  });
}

main().catch((error: Error) => {
  process.stderr.write(`${error.stack ?? error.message}\n`);
  process.exit(1);
});

// apps/consumer/src/main.ts with one test-only change: every effect publish first waits
// TEST_EFFECT_DELAY_MS, so that a full prefetch of messages is always mid-handling. Crash and
// shutdown tests kill this process while messages are in flight, which a fast handler makes rare.
import '../../src/instrumentation';
import { Logger } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import { runApp, usePinoLogger } from '@hello/platform';
import { AppModule } from '../../src/app.module';
import { loadConsumerConfig } from '../../src/config/consumer.config';
import { type ConsumerApp, startConsumerApp } from '../../src/consumer.app';
import { MessageHandledPublisher } from '../../src/handle-message/message-handled.publisher';
import { ConsumerBroker } from '../../src/messaging/consumer-broker';

async function start(): Promise<ConsumerApp> {
  const config = loadConsumerConfig(process.env);
  const delayMs = Number(process.env['TEST_EFFECT_DELAY_MS'] ?? 50);
  const moduleRef = await Test.createTestingModule({
    imports: [AppModule.register(config)],
  })
    .overrideProvider(MessageHandledPublisher)
    .useFactory({
      factory: (broker: ConsumerBroker): Pick<MessageHandledPublisher, 'publish'> => {
        const real = new MessageHandledPublisher(broker);
        return {
          publish: async (event) => {
            await new Promise((resolve) => setTimeout(resolve, delayMs));
            await real.publish(event);
          },
        };
      },
      inject: [ConsumerBroker],
    })
    .compile();
  const app = moduleRef.createNestApplication<NestExpressApplication>({ bufferLogs: true });
  usePinoLogger(app);
  const consumer = await startConsumerApp(app, config);
  new Logger('Bootstrap').log(`consumer listening on HTTP port ${consumer.httpPort}`);
  return consumer;
}

runApp({ start, shutdownTimeoutMs: 620_000 });

// apps/consumer/src/main.ts with one test-only change: every effect publish first waits
// TEST_EFFECT_DELAY_MS, so that a full prefetch of messages is always mid-handling. Crash and
// shutdown tests kill this process while messages are in flight, which a fast handler makes rare.
import { ConsoleLogger, Logger } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { closeOnSignals } from '@hello/messaging';
import { AppModule } from '../../src/app.module';
import { loadConsumerConfig } from '../../src/config/consumer.config';
import { connectHelloServer, startConsumerApp } from '../../src/consumer.app';
import { MessageHandledPublisher } from '../../src/handle-message/message-handled.publisher';
import { ConsumerBroker } from '../../src/messaging/consumer-broker';

async function bootstrap(): Promise<void> {
  const config = loadConsumerConfig(process.env);
  const delayMs = Number(process.env['TEST_EFFECT_DELAY_MS'] ?? 50);
  const moduleRef = await Test.createTestingModule({
    imports: [AppModule.register(config)],
  })
    .overrideProvider(MessageHandledPublisher)
    .useFactory({
      factory: (
        broker: ConsumerBroker,
      ): Pick<MessageHandledPublisher, 'publish'> => {
        const real = new MessageHandledPublisher(broker);
        return {
          publish: async (event, traceparent) => {
            await new Promise((resolve) => setTimeout(resolve, delayMs));
            await real.publish(event, traceparent);
          },
        };
      },
      inject: [ConsumerBroker],
    })
    // The testing module prints only errors by default; the tests read this process's log.
    .setLogger(new ConsoleLogger())
    .compile();
  const app = connectHelloServer(moduleRef.createNestApplication());
  closeOnSignals(app);
  await startConsumerApp(app, config.httpPort);
  new Logger('Bootstrap').log(
    `consumer listening on HTTP port ${config.httpPort}`,
  );
}

bootstrap().catch((error: Error) => {
  new Logger('Bootstrap').fatal(
    `could not start: ${error.message}`,
    error.stack,
  );
  process.exit(1);
});

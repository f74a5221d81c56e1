import type { NestExpressApplication } from '@nestjs/platform-express';
import { AmqpServer } from '@hello/messaging';
import { createPlatformApp, type CreatePlatformAppOptions, type OpenApiInfo, startPlatformApp } from '@hello/platform';
import { AppModule } from './app.module';
import type { ConsumerConfig } from './config/consumer.config';

/** What the consumer's OpenAPI document says about it. */
export const CONSUMER_OPENAPI: OpenApiInfo = {
  service: 'consumer',
  description:
    'Handles the `hello` queue; over HTTP its health, metrics and the dead letters of `hello` for operators.',
};

/** A consumer that is running, as startConsumerApp returns it. */
export interface ConsumerApp {
  readonly app: NestExpressApplication;
  /** The HTTP port actually bound (it differs from the config when it asked for 0). */
  readonly httpPort: number;
  /** Stops consuming, drains the messages in flight, closes HTTP and the connections. */
  close(): Promise<void>;
}

/**
 * The consumer's Nest application, built from AppModule but not started (startConsumerApp starts it).
 * It logs through pino unless `logger` is given (tests pass their own, or `false`).
 */
export function createConsumerApp(
  config: ConsumerConfig,
  options: CreatePlatformAppOptions = {},
): Promise<NestExpressApplication> {
  return createPlatformApp(AppModule.register(config), options);
}

/**
 * Starts an application built from AppModule (by createConsumerApp, or by tests from a testing
 * module), a hybrid: the AMQP server as its microservice, HTTP (health, metrics, dead letters) beside
 * it. When it cannot start, it closes the app and rejects.
 */
export async function startConsumerApp(app: NestExpressApplication, config: ConsumerConfig): Promise<ConsumerApp> {
  const httpPort = await startPlatformApp(app, {
    openApi: CONSUMER_OPENAPI,
    httpDocs: config.platform.httpDocs,
    port: config.httpPort,
    microservices: [{ strategy: app.get(AmqpServer), inheritAppConfig: true }],
  });
  let closing: Promise<void> | undefined;
  return { app, httpPort, close: () => (closing ??= app.close()) };
}

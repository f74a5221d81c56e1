import { INestApplication, LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { AmqpServer } from '@hello/messaging';
import { type OpenApiInfo, serveOpenApi, usePinoLogger, useHttpObservability } from '@hello/platform';
import { AppModule } from './app.module';
import { ConsumerConfig } from './config/consumer.config';

/** What the consumer's OpenAPI document says about it. */
export const CONSUMER_OPENAPI: OpenApiInfo = {
  service: 'consumer',
  description:
    'Handles the `hello` queue; over HTTP its health, metrics and the dead letters of `hello` for operators.',
};

/**
 * The consumer's hybrid Nest application (HTTP for health and metrics, the AMQP server as its
 * microservice), configured but not started: main.ts and tests start it. It logs through pino unless
 * `logger` is given.
 */
export async function createConsumerApp(
  config: ConsumerConfig,
  options: { logger?: false | LoggerService } = {},
): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.register(config), {
    bufferLogs: options.logger === undefined,
    ...options,
  });
  preparePlatform(app, options.logger === undefined);
  if (config.platform.httpDocs !== false) serveOpenApi(app, CONSUMER_OPENAPI);
  return app;
}

/** Logs through pino (unless the caller set its own logger), counts HTTP, connects the AMQP server. */
export function preparePlatform<T extends NestExpressApplication>(app: T, usePino = true): T {
  if (usePino) usePinoLogger(app);
  useHttpObservability(app);
  return connectHelloServer(app);
}

/** Connects the app's AmqpServer provider as its microservice (hybrid application). */
export function connectHelloServer<T extends INestApplication>(app: T): T {
  app.connectMicroservice({ strategy: app.get(AmqpServer) }, { inheritAppConfig: true });
  return app;
}

/**
 * Starts `app`: init first, which registers every handler (the CQRS ones included), then the AMQP
 * server, so that no message arrives before its handler exists; then HTTP.
 */
export async function startConsumerApp(app: INestApplication, httpPort: number): Promise<void> {
  await app.init();
  await app.startAllMicroservices();
  await app.listen(httpPort);
}

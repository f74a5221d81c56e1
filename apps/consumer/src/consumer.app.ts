import type { LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AmqpServer } from '@hello/messaging';
import { type OpenApiInfo, serveOpenApi, usePinoLogger, useHttpObservability } from '@hello/platform';
import type { AddressInfo } from 'node:net';
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
export async function createConsumerApp(
  config: ConsumerConfig,
  options: { logger?: false | LoggerService } = {},
): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.register(config), {
    bufferLogs: options.logger === undefined,
    ...options,
    // Errors reach the caller (main.ts exits non-zero; tests see them) instead of exiting here.
    abortOnError: false,
  });
  if (options.logger === undefined) usePinoLogger(app);
  return app;
}

/**
 * Starts an application built from AppModule (by createConsumerApp, or by tests from a testing
 * module), a hybrid: the AMQP server as its microservice, HTTP (health, metrics, dead letters) beside
 * it. Init first, which registers every handler (the CQRS ones included), then the AMQP server, so
 * that no message arrives before its handler exists; then HTTP. When it cannot start, it closes the
 * app and rejects.
 */
export async function startConsumerApp(app: NestExpressApplication, config: ConsumerConfig): Promise<ConsumerApp> {
  useHttpObservability(app);
  if (config.platform.httpDocs !== false) serveOpenApi(app, CONSUMER_OPENAPI);
  app.connectMicroservice({ strategy: app.get(AmqpServer) }, { inheritAppConfig: true });
  try {
    await app.init();
    await app.startAllMicroservices();
    await app.listen(config.httpPort);
  } catch (error) {
    await app.close().catch(() => undefined);
    throw error;
  }
  const httpPort = (app.getHttpServer().address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return { app, httpPort, close: () => (closing ??= app.close()) };
}

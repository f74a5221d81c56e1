import type { LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { type OpenApiInfo, serveOpenApi, usePinoLogger, useHttpObservability } from '@hello/platform';
import type { AddressInfo } from 'node:net';
import { AppModule } from './app.module';
import type { ProducerConfig } from './config/producer.config';

/** What the producer's OpenAPI document says about it. */
export const PRODUCER_OPENAPI: OpenApiInfo = {
  service: 'producer',
  description: 'Sends work to the `hello` queue (POST /messages) and greets over `hello.rpc` (POST /greetings).',
};

/** A producer that is listening, as startProducerApp returns it. */
export interface ProducerApp {
  readonly app: NestExpressApplication;
  /** The HTTP port actually bound (it differs from the config when it asked for 0). */
  readonly httpPort: number;
  /** Stops taking requests, finishes those in flight, closes the connection to the broker. */
  close(): Promise<void>;
}

/**
 * The producer's Nest application, built from AppModule but not started (startProducerApp starts it).
 * It logs through pino unless `logger` is given (tests pass `false`).
 */
export async function createProducerApp(
  config: ProducerConfig,
  options: { logger?: false | LoggerService } = {},
): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.register(config), {
    // startProducerApp puts in the JSON body parser, after the HTTP observability.
    bodyParser: false,
    bufferLogs: options.logger === undefined,
    ...options,
    // Errors reach the caller (main.ts exits non-zero; tests see them) instead of exiting here.
    abortOnError: false,
  });
  if (options.logger === undefined) usePinoLogger(app);
  return app;
}

/**
 * Starts an application built by createProducerApp: HTTP (the API, health, metrics). When it cannot
 * start, it closes the app and rejects.
 */
export async function startProducerApp(app: NestExpressApplication, config: ProducerConfig): Promise<ProducerApp> {
  prepareProducerHttp(app, config);
  try {
    await app.listen(config.httpPort);
  } catch (error) {
    await app.close().catch(() => undefined);
    throw error;
  }
  const httpPort = (app.getHttpServer().address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return { app, httpPort, close: () => (closing ??= app.close()) };
}

/**
 * What the producer's HTTP server gets before it starts: observability first, then the JSON body
 * parser, then the OpenAPI document. startProducerApp calls it; a test that listens its own way
 * (e.g. with a larger backlog) calls it instead.
 */
export function prepareProducerHttp(app: NestExpressApplication, config: ProducerConfig): void {
  useHttpObservability(app);
  // JSON only; JSON escaping can make a body several times longer than its text's size limit.
  app.useBodyParser('json', { limit: '1mb' });
  if (config.platform.httpDocs !== false) serveOpenApi(app, PRODUCER_OPENAPI);
}

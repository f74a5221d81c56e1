import { AmqpServer } from '@hello/messaging';
import { type OpenApiInfo, serveOpenApi, usePinoLogger, useHttpObservability } from '@hello/platform';
import type { LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { AddressInfo } from 'node:net';
import { AppModule } from './app.module';
import type { EventHandlerConfig } from './config/event-handler.config';
import { LineServer } from './line-echo/line-server';

/** What the event-handler's OpenAPI document says about it. */
export const EVENT_HANDLER_OPENAPI: OpenApiInfo = {
  service: 'event-handler',
  description: 'Projections of the integration events on `hello.events`: greetings by name, handled messages, lines.',
};

/** An event-handler that is running, as startEventHandlerApp returns it. */
export interface EventHandlerApp {
  readonly app: NestExpressApplication;
  /** The ports actually bound (they differ from the config when it asked for 0). */
  readonly httpPort: number;
  readonly tcpPort: number;
  /** Stops consuming and accepting, finishes in-flight work, closes the servers and the database. */
  close(): Promise<void>;
}

/**
 * The event-handler's Nest application, built from AppModule but not started (startEventHandlerApp
 * starts it). It logs through pino unless `logger` is given (tests pass `false`).
 */
export async function createEventHandlerApp(
  config: EventHandlerConfig,
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
 * Starts an application built from AppModule (by createEventHandlerApp, or by tests that replace a
 * provider from a testing module): HTTP, the AMQP consumer and the TCP line echo in one Nest app.
 */
export async function startEventHandlerApp(
  app: NestExpressApplication,
  config: EventHandlerConfig,
): Promise<EventHandlerApp> {
  useHttpObservability(app);
  if (config.platform.httpDocs !== false) serveOpenApi(app, EVENT_HANDLER_OPENAPI);
  const lineServer = app.get(LineServer);
  app.connectMicroservice({ strategy: app.get(AmqpServer) });
  app.connectMicroservice({ strategy: lineServer });
  try {
    // Lifecycle hooks first (CQRS handlers registered, publisher connected, pending outbox
    // messages on their way), then the transports, then HTTP: /health answers once all run.
    await app.init();
    await app.startAllMicroservices();
    await app.listen(config.httpPort, config.host);
  } catch (error) {
    await app.close().catch(() => undefined);
    throw error;
  }
  const httpPort = (app.getHttpServer().address() as AddressInfo).port;
  const tcpPort = lineServer.address().port;
  let closing: Promise<void> | undefined;
  return { app, httpPort, tcpPort, close: () => (closing ??= app.close()) };
}

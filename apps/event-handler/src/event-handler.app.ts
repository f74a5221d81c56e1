import { AmqpServer } from '@hello/messaging';
import { createPlatformApp, type CreatePlatformAppOptions, type OpenApiInfo, startPlatformApp } from '@hello/platform';
import type { NestExpressApplication } from '@nestjs/platform-express';
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
export function createEventHandlerApp(
  config: EventHandlerConfig,
  options: CreatePlatformAppOptions = {},
): Promise<NestExpressApplication> {
  return createPlatformApp(AppModule.register(config), options);
}

/**
 * Starts an application built from AppModule (by createEventHandlerApp, or by tests that replace a
 * provider from a testing module): HTTP, the AMQP consumer and the TCP line echo in one Nest app.
 */
export async function startEventHandlerApp(
  app: NestExpressApplication,
  config: EventHandlerConfig,
): Promise<EventHandlerApp> {
  const lineServer = app.get(LineServer);
  const httpPort = await startPlatformApp(app, {
    openApi: EVENT_HANDLER_OPENAPI,
    httpDocs: config.platform.httpDocs,
    port: config.httpPort,
    host: config.host,
    microservices: [{ strategy: app.get(AmqpServer) }, { strategy: lineServer }],
  });
  let closing: Promise<void> | undefined;
  return { app, httpPort, tcpPort: lineServer.address().port, close: () => (closing ??= app.close()) };
}

import type { NestExpressApplication } from '@nestjs/platform-express';
import {
  createPlatformApp,
  type CreatePlatformAppOptions,
  type OpenApiInfo,
  type PlatformHttpOptions,
  preparePlatformHttp,
  startPlatformApp,
} from '@hello/platform';
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
export function createProducerApp(
  config: ProducerConfig,
  options: CreatePlatformAppOptions = {},
): Promise<NestExpressApplication> {
  // startProducerApp puts in the JSON body parser, after the HTTP observability.
  return createPlatformApp(AppModule.register(config), { bodyParser: false, ...options });
}

/** The producer's HTTP side: JSON bodies only, after the observability and before the docs. */
function producerHttp(config: ProducerConfig): PlatformHttpOptions {
  return {
    openApi: PRODUCER_OPENAPI,
    httpDocs: config.platform.httpDocs,
    // JSON escaping can make a body several times longer than its text's size limit.
    configureHttp: (app) => app.useBodyParser('json', { limit: '1mb' }),
  };
}

/**
 * Starts an application built by createProducerApp: HTTP (the API, health, metrics). When it cannot
 * start, it closes the app and rejects.
 */
export async function startProducerApp(app: NestExpressApplication, config: ProducerConfig): Promise<ProducerApp> {
  const httpPort = await startPlatformApp(app, { ...producerHttp(config), port: config.httpPort });
  let closing: Promise<void> | undefined;
  return { app, httpPort, close: () => (closing ??= app.close()) };
}

/**
 * What startProducerApp does to the HTTP server before it listens, for a test that listens its own
 * way (e.g. with a larger backlog).
 */
export function prepareProducerHttp(app: NestExpressApplication, config: ProducerConfig): void {
  preparePlatformHttp(app, producerHttp(config));
}

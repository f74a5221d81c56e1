import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { type OpenApiInfo, serveOpenApi, usePinoLogger, useHttpObservability } from '@hello/platform';
import { AppModule } from './app.module';
import { ProducerConfig } from './config/producer.config';

/** What the producer's OpenAPI document says about it. */
export const PRODUCER_OPENAPI: OpenApiInfo = {
  service: 'producer',
  description: 'Sends work to the `hello` queue (POST /messages) and greets over `hello.rpc` (POST /greetings).',
};

/**
 * The producer's Nest application, configured but not listening (main.ts and tests listen). It logs
 * through pino unless `logger` is given (tests pass `false`).
 */
export async function createProducerApp(
  config: ProducerConfig,
  options: { logger?: false } = {},
): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.register(config), {
    bodyParser: false,
    bufferLogs: options.logger === undefined,
    ...options,
  });
  if (options.logger === undefined) usePinoLogger(app);
  useHttpObservability(app);
  // JSON only; JSON escaping can make a body several times longer than its text's size limit.
  app.useBodyParser('json', { limit: '1mb' });
  if (config.platform.httpDocs !== false) serveOpenApi(app, PRODUCER_OPENAPI);
  return app;
}

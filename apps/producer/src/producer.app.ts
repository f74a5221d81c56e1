import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { usePinoLogger, useHttpObservability } from '@hello/platform';
import { AppModule } from './app.module';
import { ProducerConfig } from './config/producer.config';

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
  return app;
}

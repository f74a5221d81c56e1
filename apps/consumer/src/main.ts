import { Logger } from '@nestjs/common';
import { closeOnSignals, InvalidConfigError } from '@hello/messaging';
import { loadConsumerConfig } from './config/consumer.config';
import { createConsumerApp, startConsumerApp } from './consumer.app';

async function bootstrap(): Promise<void> {
  const config = loadConsumerConfig(process.env);
  const app = await createConsumerApp(config);
  closeOnSignals(app);
  await startConsumerApp(app, config.httpPort);
  new Logger('Bootstrap').log(
    `consumer listening on HTTP port ${config.httpPort}`,
  );
}

bootstrap().catch((error: Error) => {
  const logger = new Logger('Bootstrap');
  if (error instanceof InvalidConfigError)
    logger.fatal(`invalid configuration: ${error.message}`);
  else logger.fatal(`could not start: ${error.message}`, error.stack);
  process.exit(1);
});

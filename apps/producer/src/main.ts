import { Logger } from '@nestjs/common';
import { closeOnSignals, InvalidConfigError } from '@hello/messaging';
import { loadProducerConfig } from './config/producer.config';
import { createProducerApp } from './producer.app';

async function bootstrap(): Promise<void> {
  const config = loadProducerConfig(process.env);
  const app = await createProducerApp(config);
  closeOnSignals(app);
  await app.listen(config.httpPort);
  new Logger('Bootstrap').log(
    `producer listening on HTTP port ${config.httpPort}`,
  );
}

bootstrap().catch((error: Error) => {
  const logger = new Logger('Bootstrap');
  if (error instanceof InvalidConfigError)
    logger.fatal(`invalid configuration: ${error.message}`);
  else logger.fatal(`could not start: ${error.message}`, error.stack);
  process.exit(1);
});

import { closeOnSignals, InvalidConfigError } from '@hello/messaging';
import { Logger } from '@nestjs/common';
import { loadConfig } from './config/event-handler.config';
import { createEventHandler } from './event-handler';

async function bootstrap(): Promise<void> {
  const config = loadConfig(process.env);
  const { app, httpPort, tcpPort } = await createEventHandler(config);
  // Draining the consumer, the line echo and the outbox each take at most the grace period.
  closeOnSignals(app, { timeoutMs: 3 * config.shutdownGraceMs + 5_000 });
  // Said once the signal handlers are in place: a SIGTERM sent on seeing it drains, not kills.
  new Logger('EventHandler').log(`HTTP on ${config.host}:${httpPort}, line echo on ${config.host}:${tcpPort}`);
}

bootstrap().catch((error: Error) => {
  const logger = new Logger('Bootstrap');
  if (error instanceof InvalidConfigError) logger.fatal(`invalid configuration: ${error.message}`);
  else logger.fatal(`could not start: ${error.message}`, error.stack);
  process.exit(1);
});

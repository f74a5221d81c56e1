import { Logger } from '@nestjs/common';
import { ConfigError, loadGreeterConfig } from './config/greeter.config';
import { createGreeter } from './greeter';
import { shutdownOnSignals } from './shutdown-on-signals';

async function bootstrap(): Promise<void> {
  const greeter = await createGreeter(loadGreeterConfig(process.env));
  shutdownOnSignals(greeter);
  // Said once the signal handlers are in place: a SIGTERM sent on seeing it drains, not kills.
  new Logger('Greeter').log(`gRPC server listening on ${greeter.url}`);
}

bootstrap().catch((error: Error) => {
  const logger = new Logger('Bootstrap');
  if (error instanceof ConfigError) logger.fatal(`invalid configuration: ${error.message}`);
  else logger.fatal(`could not start: ${error.message}`, error.stack);
  process.exit(1);
});

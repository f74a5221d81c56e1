import { Logger } from '@nestjs/common';
import type { Greeter } from './greeter';

/**
 * On the first SIGTERM or SIGINT, drains the greeter and exits 0 (1 if closing failed); a
 * second signal cuts off the calls still in flight. Nest's own shutdown hooks are not used:
 * they re-raise the signal after closing, so the process would end by signal, not with 0.
 */
export function shutdownOnSignals(greeter: Greeter, signals: NodeJS.Signals[] = ['SIGTERM', 'SIGINT']): void {
  const logger = new Logger('Shutdown');
  let received = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (received) {
      logger.warn(`${signal} received again: cutting off the calls still in flight`);
      greeter.forceShutdown();
      return;
    }
    received = true;
    logger.log(`${signal} received: draining calls in flight`);
    greeter.shutdown().then(
      () => {
        logger.log('closed');
        process.exit(0);
      },
      (error: Error) => {
        logger.error(`closing failed: ${error.message}`, error.stack);
        process.exit(1);
      },
    );
  };
  for (const signal of signals) process.on(signal, onSignal);
}

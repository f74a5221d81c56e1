import { INestApplicationContext, Logger } from '@nestjs/common';

/**
 * Closes `app` on SIGTERM or SIGINT (lifecycle hooks run: an AmqpServer drains its in-flight messages)
 * and exits 0, or 1 when closing fails or takes longer than `timeoutMs`. Nest's own
 * `enableShutdownHooks` re-raises the signal after closing, which ends the process with status 143
 * instead of a clean 0.
 */
export function closeOnSignals(
  app: INestApplicationContext,
  { timeoutMs = 60_000, signals = ['SIGTERM', 'SIGINT'] }: { timeoutMs?: number; signals?: NodeJS.Signals[] } = {},
): void {
  const logger = new Logger('Shutdown');
  let closing = false;
  const close = (signal: NodeJS.Signals) => {
    if (closing) return;
    closing = true;
    logger.log(`${signal} received; closing`);
    const timer = setTimeout(() => {
      logger.error(`not closed after ${timeoutMs} ms; exiting`);
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    app.close().then(
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
  for (const signal of signals) process.once(signal, close);
}

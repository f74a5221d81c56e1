import { Logger } from '@nestjs/common';
import { InvalidConfigError } from '@hello/messaging';
import { flushLogs, writeLogsNow } from '../logging/logging';

/** A started app, as `runApp` needs it: something that drains and closes. */
export interface RunningApp {
  /** Stops taking work, finishes what is in flight, closes connections. */
  close(): Promise<void>;
}

export interface RunAppOptions {
  /** Creates and starts the app (listening, consuming); rejects when it cannot start. */
  readonly start: () => Promise<RunningApp>;
  /** How long closing may take before the process exits with 1 anyway. */
  readonly shutdownTimeoutMs: number;
  /** Also run at exit, after the app closed (e.g. flushing the spans still buffered). */
  readonly afterClose?: () => Promise<void>;
  readonly signals?: readonly NodeJS.Signals[];
}

/**
 * The one bootstrap and shutdown of every app. Signal handlers go in before the app starts, so a
 * SIGTERM sent as soon as the app says it is ready drains it. The first SIGTERM or SIGINT drains and
 * exits 0 (1 when closing fails or outlasts `shutdownTimeoutMs`); further signals while draining are
 * noted and change nothing. That is what makes Ctrl-C on `npm start` drain like one SIGTERM: the
 * terminal sends SIGINT to the whole process group and the runner sends SIGTERM as well, and the
 * second must not cut off the calls the first is letting finish.
 */
export function runApp(options: RunAppOptions): void {
  const logger = new Logger('Lifecycle');
  const started = options.start();
  // The line saying the app is ready (listening) goes out at once, not with the next batch.
  started.then(writeLogsNow, () => undefined);
  let stopping = false;
  const exit = async (code: number) => {
    await options.afterClose?.().catch(() => undefined);
    flushLogs();
    process.exit(code);
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.log(`${signal} received again: still draining (at most ${options.shutdownTimeoutMs} ms in all)`);
      return;
    }
    stopping = true;
    logger.log(`${signal} received: draining`);
    setTimeout(() => {
      logger.error(`not closed after ${options.shutdownTimeoutMs} ms; exiting`);
      void exit(1);
    }, options.shutdownTimeoutMs).unref();
    started
      .then((app) => app.close())
      .then(
        () => {
          logger.log('closed');
          return exit(0);
        },
        (error: Error) => {
          logger.error(`closing failed: ${error.message}`, error.stack);
          return exit(1);
        },
      );
  };
  for (const signal of options.signals ?? ['SIGTERM', 'SIGINT']) process.on(signal, onSignal);
  started.catch((error: Error) => {
    const bootstrap = new Logger('Bootstrap');
    if (error instanceof InvalidConfigError) bootstrap.fatal(`invalid configuration: ${error.message}`);
    else bootstrap.fatal(`could not start: ${error.message}`, error.stack);
    void exit(1);
  });
}

import { telemetry } from './instrumentation';
import { Logger } from '@nestjs/common';
import { runApp } from '@hello/platform';
import { loadConfig } from './config/event-handler.config';
import { createEventHandlerApp, startEventHandlerApp } from './event-handler.app';

const HOUR_MS = 3_600_000;

runApp({
  // Draining the consumer, the line echo and the outbox each take at most EVENT_HANDLER_SHUTDOWN_GRACE_MS.
  shutdownTimeoutMs: 3 * HOUR_MS + 5_000,
  afterClose: () => telemetry.shutdown(),
  start: async () => {
    const config = loadConfig(process.env);
    const handler = await startEventHandlerApp(await createEventHandlerApp(config), config);
    new Logger('EventHandler').log(
      `HTTP on ${config.host}:${handler.httpPort}, line echo on ${config.host}:${handler.tcpPort}`,
    );
    return handler;
  },
});

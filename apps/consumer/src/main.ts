import { telemetry } from './instrumentation';
import { Logger } from '@nestjs/common';
import { runApp } from '@hello/platform';
import { loadConsumerConfig } from './config/consumer.config';
import { createConsumerApp, startConsumerApp } from './consumer.app';

runApp({
  // The drain is bounded by CONSUMER_DRAIN_TIMEOUT_MS (at most 600 s); this only catches a hang.
  shutdownTimeoutMs: 620_000,
  afterClose: () => telemetry.shutdown(),
  start: async () => {
    const config = loadConsumerConfig(process.env);
    const consumer = await startConsumerApp(await createConsumerApp(config), config);
    new Logger('Bootstrap').log(`consumer listening on HTTP port ${consumer.httpPort}`);
    return consumer;
  },
});

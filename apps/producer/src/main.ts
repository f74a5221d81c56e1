import { telemetry } from './instrumentation';
import { Logger } from '@nestjs/common';
import { runApp } from '@hello/platform';
import { loadProducerConfig } from './config/producer.config';
import { createProducerApp, startProducerApp } from './producer.app';

runApp({
  shutdownTimeoutMs: 60_000,
  afterClose: () => telemetry.shutdown(),
  start: async () => {
    const config = loadProducerConfig(process.env);
    const producer = await startProducerApp(await createProducerApp(config), config);
    new Logger('Bootstrap').log(`producer listening on HTTP port ${producer.httpPort}`);
    return producer;
  },
});

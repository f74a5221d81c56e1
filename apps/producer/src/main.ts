import { telemetry } from './instrumentation';
import { Logger } from '@nestjs/common';
import { runApp } from '@hello/platform';
import { loadProducerConfig } from './config/producer.config';
import { createProducerApp } from './producer.app';

runApp({
  shutdownTimeoutMs: 60_000,
  afterClose: () => telemetry.shutdown(),
  start: async () => {
    const config = loadProducerConfig(process.env);
    const app = await createProducerApp(config);
    await app.listen(config.httpPort);
    new Logger('Bootstrap').log(`producer listening on HTTP port ${config.httpPort}`);
    return app;
  },
});

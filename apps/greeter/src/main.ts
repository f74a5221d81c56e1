import { telemetry } from './instrumentation';
import { Logger } from '@nestjs/common';
import { runApp } from '@hello/platform';
import { loadGreeterConfig } from './config/greeter.config';
import { createGreeterApp, startGreeterApp } from './greeter.app';

runApp({
  // The drain is bounded by GREETER_SHUTDOWN_GRACE_MS (at most an hour); this only catches a hang.
  shutdownTimeoutMs: 3_600_000 + 30_000,
  afterClose: () => telemetry.shutdown(),
  start: async () => {
    const config = loadGreeterConfig(process.env);
    const greeter = await startGreeterApp(await createGreeterApp(config), config);
    new Logger('Greeter').log(
      `gRPC server listening on ${greeter.url}, HTTP (metrics, health) on port ${greeter.httpPort}`,
    );
    return greeter;
  },
});

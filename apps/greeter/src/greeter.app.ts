import type { NestExpressApplication } from '@nestjs/platform-express';
import {
  createPlatformApp,
  type CreatePlatformAppOptions,
  Metrics,
  type OpenApiInfo,
  Readiness,
  startPlatformApp,
} from '@hello/platform';
import { AppModule } from './app.module';
import type { GreeterConfig } from './config/greeter.config';
import { DrainingServerGrpc } from './grpc/draining-server-grpc';
import { greeterGrpcOptions } from './grpc/greeter-grpc.options';
import { HealthStatusRegistry } from './health/health-status.registry';
import { GreeterBroker } from './messaging/greeter-broker';

/** What the greeter's OpenAPI document says about its HTTP side. */
export const GREETER_OPENAPI: OpenApiInfo = {
  service: 'greeter',
  description:
    'The greeter serves gRPC (proto/helloworld.proto) and SayHello on `hello.rpc`; over HTTP only its health and metrics.',
};

/** How long start-up waits for the broker before serving without it. */
const STARTUP_BROKER_WAIT_MS = 2_000;

/** A greeter that is listening, as startGreeterApp returns it. */
export interface GreeterApp {
  readonly app: NestExpressApplication;
  /** host:port of the gRPC server. */
  readonly url: string;
  /** Port of the HTTP server (metrics, health). */
  readonly httpPort: number;
  /**
   * Reports NOT_SERVING, stops accepting calls, lets the calls in flight finish within the
   * grace period (then cuts them off), flushes the pending integration events and closes the
   * application. Calling it again returns the same promise.
   */
  close(): Promise<void>;
  /** Same as close(). */
  shutdown(): Promise<void>;
  /** Cuts off the calls still in flight now rather than at the end of the grace period. */
  forceShutdown(): void;
}

/** The gRPC transport of the greeter: the Nest strategy its microservice runs on. */
function createGreeterServer(config: GreeterConfig, metrics: Metrics): DrainingServerGrpc {
  return new DrainingServerGrpc(greeterGrpcOptions(config, metrics), config.shutdownGraceMs);
}

/**
 * The greeter's Nest application, built from AppModule but not started (startGreeterApp starts it).
 * It logs through pino unless `logger` is given (tests pass their own, or `false`).
 */
export function createGreeterApp(
  config: GreeterConfig,
  options: CreatePlatformAppOptions = {},
): Promise<NestExpressApplication> {
  return createPlatformApp(AppModule.register(config), options);
}

/**
 * Starts an application built from AppModule (by createGreeterApp, or by tests from a testing module):
 * gRPC (the Greeter and grpc.health.v1) as its microservice, then HTTP (metrics, health) beside it,
 * with its shutdown wired.
 */
export async function startGreeterApp(app: NestExpressApplication, config: GreeterConfig): Promise<GreeterApp> {
  const server = createGreeterServer(config, app.get(Metrics));
  const httpPort = await startPlatformApp(app, {
    openApi: GREETER_OPENAPI,
    httpDocs: config.platform.httpDocs,
    port: config.httpPort,
    microservices: [{ strategy: server, inheritAppConfig: true }],
    // A short wait for the broker, so a greeter that starts beside it reports SERVING at once; it
    // serves without it all the same (events wait in the buffer).
    beforeInit: () =>
      app
        .get(GreeterBroker)
        .connection.connect(STARTUP_BROKER_WAIT_MS)
        .catch(() => undefined),
  });
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      // Before the server stops, so that Watch callers see NOT_SERVING while still connected.
      app.get(Readiness).beginShutdown();
      app.get(HealthStatusRegistry).beginShutdown();
      // The flush of pending events at the end shares the grace period, counted from now.
      app.get(GreeterBroker).beginShutdown();
      // New calls are refused from now on, not only once Nest's shutdown hooks reach the server.
      const draining = server.close();
      await app.close();
      await draining;
    })());
  return { app, url: config.grpcUrl, httpPort, close, shutdown: close, forceShutdown: () => server.forceClose() };
}

import type { INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';
import type { GreeterConfig } from './config/greeter.config';
import { DrainingServerGrpc } from './grpc/draining-server-grpc';
import { greeterGrpcOptions } from './grpc/greeter-grpc.options';
import { HealthStatusRegistry } from './health/health-status.registry';
import { GreeterBroker } from './messaging/greeter-broker';

/** A greeter that is listening. */
export interface Greeter {
  readonly app: INestMicroservice;
  readonly url: string;
  /**
   * Reports NOT_SERVING, stops accepting calls, lets the calls in flight finish within the
   * grace period (then cuts them off), flushes the pending integration events and closes the
   * application. Calling it again returns the same promise.
   */
  shutdown(): Promise<void>;
  /** Cuts off the calls still in flight now rather than at the end of the grace period. */
  forceShutdown(): void;
}

/** The gRPC transport of the greeter: the Nest strategy its microservice runs on. */
export function createGreeterServer(config: GreeterConfig): DrainingServerGrpc {
  return new DrainingServerGrpc(greeterGrpcOptions(config), config.shutdownGraceMs);
}

/** Builds the application from AppModule and starts it. */
export async function createGreeter(config: GreeterConfig): Promise<Greeter> {
  const server = createGreeterServer(config);
  const app = await NestFactory.createMicroservice(AppModule.register(config), {
    strategy: server,
    logger: config.logLevels,
    // Errors reach the caller (main.ts exits non-zero; tests see them) instead of exiting here.
    abortOnError: false,
  });
  return startGreeter(app, server, config);
}

/** Starts an application built on `server` (from createGreeterServer) and wires its shutdown. */
export async function startGreeter(
  app: INestMicroservice,
  server: DrainingServerGrpc,
  config: GreeterConfig,
): Promise<Greeter> {
  try {
    await app.listen();
  } catch (error) {
    await app.close().catch(() => undefined);
    throw error;
  }
  let closing: Promise<void> | undefined;
  return {
    app,
    url: config.grpcUrl,
    shutdown: () =>
      (closing ??= (async () => {
        // Before the server stops, so that Watch callers see NOT_SERVING while still connected.
        app.get(HealthStatusRegistry).beginShutdown();
        // The flush of pending events at the end shares the grace period, counted from now.
        app.get(GreeterBroker).beginShutdown();
        await app.close();
      })()),
    forceShutdown: () => server.forceClose(),
  };
}

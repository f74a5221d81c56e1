import type { DynamicModule, LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { CustomStrategy } from '@nestjs/microservices';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { AddressInfo } from 'node:net';
import { usePinoLogger } from '../logging/logging';
import { useHttpObservability } from '../metrics/http-metrics';
import { type OpenApiInfo, serveOpenApi } from '../http/openapi';

export interface CreatePlatformAppOptions {
  /** Tests pass their own, or `false`; by default the app logs through pino. */
  readonly logger?: false | LoggerService;
  /** `false`: the app puts in its own body parser (see `configureHttp` of startPlatformApp). */
  readonly bodyParser?: boolean;
}

/**
 * An app's Nest application built from its root module, not started (startPlatformApp starts it).
 * A failure while the modules are built rejects (main.ts exits 1; tests see the error) instead of
 * ending the process from inside Nest.
 */
export async function createPlatformApp(
  module: DynamicModule,
  options: CreatePlatformAppOptions = {},
): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(module, {
    bufferLogs: options.logger === undefined,
    ...options,
    abortOnError: false,
  });
  if (options.logger === undefined) usePinoLogger(app);
  return app;
}

/** What an app's HTTP server gets before it starts. */
export interface PlatformHttpOptions {
  /** The app's OpenAPI document, served at `/docs` unless `httpDocs` is false. */
  readonly openApi: OpenApiInfo;
  readonly httpDocs: boolean | undefined;
  /** After the trace context and metrics, before the docs (e.g. a body parser). */
  readonly configureHttp?: (app: NestExpressApplication) => void;
}

/**
 * The HTTP side every app has, in this order: trace context and RED metrics first (before any
 * module's middleware), the app's own setup, then the OpenAPI document.
 */
export function preparePlatformHttp(app: NestExpressApplication, options: PlatformHttpOptions): void {
  useHttpObservability(app);
  options.configureHttp?.(app);
  if (options.httpDocs !== false) serveOpenApi(app, options.openApi);
}

export interface StartPlatformAppOptions extends PlatformHttpOptions {
  readonly port: number;
  /** The interface HTTP binds; all of them when absent. */
  readonly host?: string;
  /**
   * The app's transports besides HTTP. `inheritAppConfig`: the app's global pipes, filters and
   * interceptors apply to its handlers too.
   */
  readonly microservices?: readonly (CustomStrategy & { readonly inheritAppConfig?: boolean })[];
  /** Runs before the lifecycle hooks (e.g. a short wait for the broker). */
  readonly beforeInit?: () => Promise<void>;
}

/**
 * Starts an app built by createPlatformApp (or by a test from a testing module): the lifecycle hooks
 * first (handlers registered, connections made), then the transports, so no message arrives before
 * its handler exists, then HTTP, so `/health` answers once everything runs. When any step fails it
 * closes the app and rejects. Resolves to the HTTP port bound (it differs from `port` when that is 0).
 */
export async function startPlatformApp(app: NestExpressApplication, options: StartPlatformAppOptions): Promise<number> {
  preparePlatformHttp(app, options);
  for (const { inheritAppConfig, ...strategy } of options.microservices ?? []) {
    app.connectMicroservice(strategy, { inheritAppConfig: inheritAppConfig ?? false });
  }
  try {
    await options.beforeInit?.();
    await app.init();
    await app.startAllMicroservices();
    await (options.host === undefined ? app.listen(options.port) : app.listen(options.port, options.host));
  } catch (error) {
    await app.close().catch(() => undefined);
    throw error;
  }
  return (app.getHttpServer().address() as AddressInfo).port;
}

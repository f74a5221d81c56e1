import { Module, type DynamicModule, type InjectionToken } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { TerminusModule } from '@nestjs/terminus';
import { LoggerModule } from 'nestjs-pino';
import type { PlatformConfig } from './config/platform-env';
import { HealthController } from './health/health.controller';
import { Readiness } from './health/readiness';
import { DEFAULT_HTTP_KEEP_ALIVE_TIMEOUT_MS, HTTP_KEEP_ALIVE_TIMEOUT, HttpTimeouts } from './http/http-timeouts';
import { loggerParams } from './logging/logging';
import { Metrics } from './metrics/metrics';
import { MetricsController } from './metrics/metrics.controller';

export interface PlatformModuleOptions<C extends object> {
  /** The app's name: the default `service.name` of its spans and the `service` of its log lines. */
  readonly service: string;
  readonly platform: PlatformConfig;
  /** The app's validated settings, injectable by `configToken` and readable from ConfigService. */
  readonly config: C;
  readonly configToken: InjectionToken;
}

/**
 * What every app imports first: configuration (`@nestjs/config`, holding the app's validated
 * settings), logs (pino through nestjs-pino), Prometheus metrics at `GET /metrics`, health
 * (`@nestjs/terminus`) at `GET /health/live` and `GET /health/ready`, and the HTTP server's keep-alive
 * timeouts. Global, so the app's providers
 * inject Metrics, Readiness and the config token without importing it again.
 */
@Module({})
export class PlatformModule {
  static forRoot<C extends object>(options: PlatformModuleOptions<C>): DynamicModule {
    return {
      module: PlatformModule,
      global: true,
      imports: [
        ConfigModule.forRoot({ ignoreEnvFile: true, load: [() => ({ ...options.config })] }),
        LoggerModule.forRoot(loggerParams(options.service, options.platform)),
        // Failed checks are reported in the response; logging each probe would flood an outage.
        TerminusModule.forRoot({ logger: false }),
      ],
      controllers: [HealthController, MetricsController],
      providers: [
        Metrics,
        Readiness,
        HttpTimeouts,
        {
          provide: HTTP_KEEP_ALIVE_TIMEOUT,
          useValue: options.platform.httpKeepAliveTimeoutMs ?? DEFAULT_HTTP_KEEP_ALIVE_TIMEOUT_MS,
        },
        { provide: options.configToken, useValue: options.config },
      ],
      exports: [Metrics, Readiness, options.configToken, ConfigModule],
    };
  }
}

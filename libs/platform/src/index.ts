// Config
export * from './lib/config/env-schema';
export * from './lib/config/platform-env';
// Logs
export * from './lib/logging/logging';
// Metrics
export * from './lib/metrics/metrics';
export * from './lib/metrics/metrics.controller';
export * from './lib/metrics/http-metrics';
export * from './lib/metrics/amqp-metrics';
// Traces
export * from './lib/telemetry/incoming-trace-context';
// HTTP errors
export * from './lib/http/http-error.filter';
export * from './lib/http/http-timeouts';
export * from './lib/http/openapi';
// Health
export * from './lib/health/readiness';
export * from './lib/health/health.controller';
// Module and lifecycle
export * from './lib/platform.module';
export * from './lib/bootstrap/run-app';
export * from './lib/bootstrap/platform-app';
export * from './lib/health/amqp-checks';

/**
 * OpenTelemetry for one app process: W3C trace context propagation, and when spans are exported the
 * Node SDK with the gRPC and HTTP instrumentations, configured only by the standard `OTEL_*` variables.
 *
 * This entry point imports nothing but OpenTelemetry, so that `main.ts` can start tracing before
 * grpc-js, http or Nest are loaded (instrumentations patch modules as they are required):
 *
 *   import { startTelemetry } from '@hello/platform/telemetry';
 *   startTelemetry('greeter');
 *   // …then the rest of main.ts
 */
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CBaggagePropagator, W3CTraceContextPropagator, CompositePropagator } from '@opentelemetry/core';
import type * as GrpcInstrumentationModule from '@opentelemetry/instrumentation-grpc';
import type * as HttpInstrumentationModule from '@opentelemetry/instrumentation-http';
import type * as NodeSdk from '@opentelemetry/sdk-node';
import type { IncomingMessage } from 'node:http';
import { PropagatingTracerProvider } from './lib/telemetry/propagating-tracer';

/** The running telemetry of this process; `shutdown` flushes the spans not yet exported. */
export interface Telemetry {
  /** False when `OTEL_SDK_DISABLED=true`: no spans, but `traceparent` is still passed on as received. */
  readonly enabled: boolean;
  /** Whether spans leave the process (an OTLP endpoint or `OTEL_TRACES_EXPORTER` is set). */
  readonly exporting: boolean;
  shutdown(): Promise<void>;
}

/** Probes and scrapes would be most of the spans and say nothing about the system. */
export const UNTRACED_PATHS = /^\/(?:metrics|health(?:\/|$))/;

let running: Telemetry | undefined;

/**
 * Starts tracing for the service `serviceName` (overridden by `OTEL_SERVICE_NAME`). Idempotent.
 *
 * Spans are exported only when `OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` or
 * `OTEL_TRACES_EXPORTER` is set: then the OpenTelemetry Node SDK runs, and the exporter, its protocol
 * (`OTEL_EXPORTER_OTLP_PROTOCOL`: http/protobuf, http/json or grpc), the sampler (`OTEL_TRACES_SAMPLER`,
 * `OTEL_TRACES_SAMPLER_ARG`), batching and the resource come from the SDK's own reading of the
 * environment. Otherwise neither the SDK nor any instrumentation is loaded: spans are non-recording
 * (see PropagatingTracerProvider), which is all it takes for logs to carry trace ids and for the trace
 * context to travel on, and nothing tries to reach a collector that is not there.
 */
export function startTelemetry(serviceName: string, env: NodeJS.ProcessEnv = process.env): Telemetry {
  if (running) return running;
  env['OTEL_SERVICE_NAME'] ||= serviceName;
  if (isTrue(env['OTEL_SDK_DISABLED'])) {
    // No tracer at all, but a caller's trace context is still continued by the messaging spans' propagation.
    registerContextAndPropagation();
    running = { enabled: false, exporting: false, shutdown: async () => undefined };
    return running;
  }
  const exporting = Boolean(
    env['OTEL_EXPORTER_OTLP_ENDPOINT'] ||
    env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'] ||
    (env['OTEL_TRACES_EXPORTER'] && env['OTEL_TRACES_EXPORTER'] !== 'none'),
  );
  if (!exporting) {
    registerContextAndPropagation();
    trace.setGlobalTracerProvider(new PropagatingTracerProvider());
    // No instrumentation: they patch modules as they load (start-up time) and describe every span (CPU
    // per call), for spans nobody records. The platform's gRPC interceptor and HTTP middleware continue
    // a caller's trace context instead (see continuesIncomingTraceContext).
    running = { enabled: true, exporting: false, shutdown: async () => undefined };
    return running;
  }
  // Metrics are Prometheus' (prom-client), logs are pino's: the SDK only traces.
  env['OTEL_METRICS_EXPORTER'] ||= 'none';
  env['OTEL_LOGS_EXPORTER'] ||= 'none';
  // Loaded only here: the SDK and its exporters are most of the start-up time and memory tracing costs.
  const { NodeSDK } = require('@opentelemetry/sdk-node') as typeof NodeSdk;
  const sdk = new NodeSDK({ instrumentations: instrumentations() });
  sdk.start();
  let stopping: Promise<void> | undefined;
  running = {
    enabled: true,
    exporting,
    shutdown: () => (stopping ??= sdk.shutdown().catch(() => undefined)),
  };
  return running;
}

/** Loaded only when exporting, like the SDK. */
function instrumentations() {
  const { GrpcInstrumentation } = require('@opentelemetry/instrumentation-grpc') as typeof GrpcInstrumentationModule;
  const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http') as typeof HttpInstrumentationModule;
  return [
    new GrpcInstrumentation(),
    new HttpInstrumentation({
      ignoreIncomingRequestHook: (request: IncomingMessage) => UNTRACED_PATHS.test(request.url ?? ''),
      // The apps make no outgoing HTTP calls of their own; the OTLP exporter's would trace themselves.
      ignoreOutgoingRequestHook: () => true,
    }),
  ];
}

/** The active context across async calls, and W3C trace context and baggage in and out. */
function registerContextAndPropagation(): void {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(
    new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }),
  );
}

/** The telemetry started in this process, if any. */
export function currentTelemetry(): Telemetry | undefined {
  return running;
}

function isTrue(value: string | undefined): boolean {
  return value?.trim().toLowerCase() === 'true';
}

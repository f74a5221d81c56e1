/**
 * OpenTelemetry for one app process: the Node SDK with the gRPC and HTTP instrumentations, W3C trace
 * context propagation, configured only by the standard `OTEL_*` variables.
 *
 * This entry point imports nothing but OpenTelemetry, so that `main.ts` can start tracing before
 * grpc-js, http or Nest are loaded (instrumentations patch modules as they are required):
 *
 *   import { startTelemetry } from '@hello/platform/telemetry';
 *   startTelemetry('greeter');
 *   // …then the rest of main.ts
 */
import { context, propagation } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CBaggagePropagator, W3CTraceContextPropagator, CompositePropagator } from '@opentelemetry/core';
import { GrpcInstrumentation } from '@opentelemetry/instrumentation-grpc';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { NoopSpanProcessor } from '@opentelemetry/sdk-trace';
import type { IncomingMessage } from 'node:http';

/** The running telemetry of this process; `shutdown` flushes the spans not yet exported. */
export interface Telemetry {
  /** False when `OTEL_SDK_DISABLED=true`: no spans, but `traceparent` is still passed on as received. */
  readonly enabled: boolean;
  /** Whether spans leave the process (an OTLP endpoint or `OTEL_TRACES_EXPORTER` is set). */
  readonly exporting: boolean;
  shutdown(): Promise<void>;
}

// Probes and scrapes would be most of the spans and say nothing about the system.
const UNTRACED_PATHS = /^\/(?:metrics|health(?:\/|$))/;

let running: Telemetry | undefined;

/**
 * Starts tracing for the service `serviceName` (overridden by `OTEL_SERVICE_NAME`). Idempotent.
 *
 * Spans are exported only when `OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` or
 * `OTEL_TRACES_EXPORTER` is set; otherwise they are made (so logs carry trace ids and the trace context
 * travels on) but kept nowhere, and nothing tries to reach a collector that is not there. The exporter,
 * its protocol (`OTEL_EXPORTER_OTLP_PROTOCOL`: http/protobuf, http/json or grpc), the sampler
 * (`OTEL_TRACES_SAMPLER`, `OTEL_TRACES_SAMPLER_ARG`) and the resource come from the SDK's own reading
 * of the environment.
 */
export function startTelemetry(serviceName: string, env: NodeJS.ProcessEnv = process.env): Telemetry {
  if (running) return running;
  env['OTEL_SERVICE_NAME'] ||= serviceName;
  if (isTrue(env['OTEL_SDK_DISABLED'])) {
    // No SDK, but a caller's trace context is still continued by the messaging spans' propagation.
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(
      new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }),
    );
    running = { enabled: false, exporting: false, shutdown: async () => undefined };
    return running;
  }
  const exporting = Boolean(
    env['OTEL_EXPORTER_OTLP_ENDPOINT'] || env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'] || env['OTEL_TRACES_EXPORTER'],
  );
  // Metrics are Prometheus' (prom-client), logs are pino's: by default the SDK only traces.
  env['OTEL_METRICS_EXPORTER'] ||= 'none';
  env['OTEL_LOGS_EXPORTER'] ||= 'none';
  const sdk = new NodeSDK({
    // Without an exporter the SDK would send to localhost:4318 and log every failure; a no-op
    // processor keeps spans (and so trace ids in logs and headers) without sending them anywhere.
    ...(exporting ? {} : { spanProcessors: [new NoopSpanProcessor()] }),
    instrumentations: [
      new GrpcInstrumentation(),
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (request: IncomingMessage) => UNTRACED_PATHS.test(request.url ?? ''),
        // The apps make no outgoing HTTP calls of their own; the OTLP exporter's would trace themselves.
        ignoreOutgoingRequestHook: () => true,
      }),
    ],
  });
  sdk.start();
  let stopping: Promise<void> | undefined;
  running = {
    enabled: true,
    exporting,
    shutdown: () => (stopping ??= sdk.shutdown().catch(() => undefined)),
  };
  return running;
}

/** The telemetry started in this process, if any. */
export function currentTelemetry(): Telemetry | undefined {
  return running;
}

function isTrue(value: string | undefined): boolean {
  return value?.trim().toLowerCase() === 'true';
}

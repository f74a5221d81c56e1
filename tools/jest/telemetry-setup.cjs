// What every app process has, spans made but exported nowhere, from @hello/platform/telemetry before anything else runs: an
// AsyncLocalStorage context manager and the W3C propagators, so that in-process specs see the active
// trace context flow through handlers and AMQP headers as it does in the apps. (The SDK's
// instrumentations patch `require`, which Jest's module registry bypasses: specs that check gRPC and
// HTTP spans run the apps as real processes.)
const { context, propagation, trace } = require('@opentelemetry/api');
const { TracerProvider } = require('@opentelemetry/sdk-trace');
const { AsyncLocalStorageContextManager } = require('@opentelemetry/context-async-hooks');
const { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } = require('@opentelemetry/core');

context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
propagation.setGlobalPropagator(
  new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }),
);
// Spans are made (so ids are real and new traces start where a process would start them), kept nowhere.
trace.setGlobalTracerProvider(new TracerProvider({ spanProcessors: [] }));

import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  trace,
  type Context,
  type TextMapGetter,
} from '@opentelemetry/api';
import type { IncomingHttpHeaders } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import { currentTelemetry, UNTRACED_PATHS } from '../../telemetry';

const TRACER_NAME = '@hello/platform';

/**
 * Whether the platform itself continues the trace context of incoming gRPC calls and HTTP requests:
 * when spans are made but not exported. Exporting, the OpenTelemetry instrumentations do it (with
 * recording spans and their attributes); with `OTEL_SDK_DISABLED=true`, nothing does. In a process
 * that started no telemetry (an in-process test), the platform does.
 */
export function continuesIncomingTraceContext(): boolean {
  const telemetry = currentTelemetry();
  return !telemetry || (telemetry.enabled && !telemetry.exporting);
}

/**
 * Runs `next` in a context holding a (non-recording) SERVER span, the child of the trace context
 * `carrier` brings, and returns that context: so the handler's log lines carry the caller's trace
 * id and what it publishes continues the caller's trace.
 */
export function serverContextOf<Carrier>(name: string, carrier: Carrier, getter: TextMapGetter<Carrier>): Context {
  const parent = propagation.extract(ROOT_CONTEXT, carrier, getter);
  const span = trace.getTracer(TRACER_NAME).startSpan(name, { kind: SpanKind.SERVER }, parent);
  return trace.setSpan(parent, span);
}

const headersGetter: TextMapGetter<IncomingHttpHeaders> = {
  keys: (headers) => Object.keys(headers),
  get: (headers, key) => headers[key],
};

/**
 * Express middleware (registered first) that continues an incoming request's W3C trace context when
 * no instrumentation does (see continuesIncomingTraceContext): the route's handler, and the request's
 * log line written when the response ends, run in the request's context.
 */
export function httpTraceContextMiddleware(): (request: Request, response: Response, next: NextFunction) => void {
  const active = continuesIncomingTraceContext();
  return (request, response, next) => {
    if (!active || UNTRACED_PATHS.test(request.url)) {
      next();
      return;
    }
    const requestContext = serverContextOf(request.method, request.headers, headersGetter);
    context.bind(requestContext, request);
    context.bind(requestContext, response);
    context.with(requestContext, next);
  };
}

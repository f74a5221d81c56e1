import type { INestApplication } from '@nestjs/common';
import { trace } from '@opentelemetry/api';
import type { NextFunction, Request, Response } from 'express';
import { httpTraceContextMiddleware } from '../telemetry/incoming-trace-context';
import { LabelledChildren } from './labelled-children';
import { Metrics } from './metrics';

/**
 * Express middleware that counts and times every request by route template (`/greetings/:name`, or
 * `unmatched` when no route took it), and names the active HTTP server span after the route, as the
 * semantic conventions ask (`GET /greetings/:name`, with `http.route`).
 */
export function httpMetricsMiddleware(
  metrics: Metrics,
): (request: Request, response: Response, next: NextFunction) => void {
  const { requests, durationSeconds, inFlight } = metrics.http;
  // By route, then method, then status code: keys the request already has.
  const series = new LabelledChildren(
    (route: string) =>
      new LabelledChildren(
        (method: string) =>
          new LabelledChildren((status: number) => {
            const labels = { method, route, status_code: String(status) };
            return { requests: requests.labels(labels), durationSeconds: durationSeconds.labels(labels) };
          }),
      ),
  );
  return (request, response, next) => {
    const started = process.hrtime.bigint();
    const span = trace.getActiveSpan();
    inFlight.inc();
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      inFlight.dec();
      const route = routeOf(request);
      const { requests, durationSeconds } = series.get(route).get(request.method).get(response.statusCode);
      requests.inc();
      durationSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
      if (span && route !== 'unmatched') {
        span.setAttribute('http.route', route);
        span.updateName(`${request.method} ${route}`);
      }
    };
    response.once('finish', finish);
    response.once('close', finish);
    next();
  };
}

function routeOf(request: Request): string {
  const path = (request.route as { path?: unknown } | undefined)?.path;
  return typeof path === 'string' ? `${request.baseUrl ?? ''}${path}` : 'unmatched';
}

/**
 * What every app's HTTP server gets first: the caller's trace context continued (when no
 * instrumentation does it), then RED metrics by route. Call before `init()`, so both run before any
 * module's middleware (the request log included).
 */
export function useHttpObservability(app: INestApplication): void {
  app.use(httpTraceContextMiddleware());
  app.use(httpMetricsMiddleware(app.get(Metrics)));
}

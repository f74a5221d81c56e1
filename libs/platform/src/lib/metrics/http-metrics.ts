import { trace } from '@opentelemetry/api';
import type { NextFunction, Request, Response } from 'express';
import type { Metrics } from './metrics';

/**
 * Express middleware that counts and times every request by route template (`/greetings/:name`, or
 * `unmatched` when no route took it), and names the active HTTP server span after the route, as the
 * semantic conventions ask (`GET /greetings/:name`, with `http.route`).
 */
export function httpMetricsMiddleware(
  metrics: Metrics,
): (request: Request, response: Response, next: NextFunction) => void {
  const { requests, durationSeconds, inFlight } = metrics.http;
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
      const labels = { method: request.method, route, status_code: String(response.statusCode) };
      requests.inc(labels);
      durationSeconds.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
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

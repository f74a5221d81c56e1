import type { EventHandlerConfig } from '../config/event-handler.config';
import type { EventHandlerMetrics } from '../health/event-handler-metrics';
import { LineServer } from './line-server';

/** The line echo transport with its counters exposed as metrics (also a provider, see app.module.ts). */
export function createLineServer(config: EventHandlerConfig, metrics: EventHandlerMetrics): LineServer {
  const server = new LineServer({
    host: config.host,
    port: config.tcpPort,
    maxLineBytes: config.maxLineBytes,
    closeGraceMs: config.shutdownGraceMs,
  });
  metrics.gauge('tcp_connections_open', () => server.stats().openConnections);
  metrics.counterFrom('tcp_connections_total', () => server.stats().connections);
  metrics.counterFrom('tcp_lines_echoed_total', () => server.stats().lines);
  metrics.counterFrom('tcp_lines_too_long_total', () => server.stats().tooLong);
  metrics.counterFrom('tcp_line_dispatch_failures_total', () => server.stats().dispatchFailures);
  return server;
}

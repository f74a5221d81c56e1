import { Injectable } from '@nestjs/common';
import { Metrics as PlatformMetrics } from '@hello/platform';

export type MetricLabels = Readonly<Record<string, string>>;

/**
 * The event-handler's own counters and gauges (`event_handler_*`), made by the platform's Metrics in
 * the app's registry, so `GET /metrics` serves them beside the platform's RED metrics. They restart
 * from zero with the process; the durable numbers are the projections themselves.
 */
@Injectable()
export class EventHandlerMetrics {
  private readonly values = new Map<string, number>();

  constructor(private readonly platform: PlatformMetrics) {}

  increment(name: string, labels: MetricLabels = {}, by = 1): void {
    this.platform.counter(`event_handler_${name}`, helpOf(name), Object.keys(labels)).inc(labels, by);
    const key = seriesKey(name, labels);
    this.values.set(key, (this.values.get(key) ?? 0) + by);
  }

  /** Registers a gauge read at each scrape (e.g. open connections, pending outbox messages). */
  gauge(name: string, read: () => number | Promise<number>): void {
    this.platform.gaugeFrom(`event_handler_${name}`, helpOf(name), read);
  }

  /** Registers a counter kept elsewhere (e.g. by a transport), read at each scrape. */
  counterFrom(name: string, read: () => number): void {
    this.platform.counterFrom(`event_handler_${name}`, helpOf(name), read);
  }

  /** The value of a counter incremented here (0 when it never was). */
  value(name: string, labels: MetricLabels = {}): number {
    return this.values.get(seriesKey(name, labels)) ?? 0;
  }
}

function helpOf(name: string): string {
  return `event-handler: ${name.replace(/_/g, ' ')}`;
}

function seriesKey(name: string, labels: MetricLabels): string {
  const entries = Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1));
  return `${name}${JSON.stringify(entries)}`;
}

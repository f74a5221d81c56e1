import { Injectable } from '@nestjs/common';
import { Metrics as PlatformMetrics } from '@hello/platform';
import type { Counter } from 'prom-client';

export type MetricLabels = Readonly<Record<string, string>>;

/** One series of a counter: its prom-client child, and its value for `value()`. */
interface Series {
  readonly child: Counter.Internal;
  total: number;
}

/**
 * The event-handler's own counters and gauges (`event_handler_*`), made by the platform's Metrics in
 * the app's registry, so `GET /metrics` serves them beside the platform's RED metrics. They restart
 * from zero with the process; the durable numbers are the projections themselves.
 */
@Injectable()
export class EventHandlerMetrics {
  /** Series by counter name, then by label values: an event finds its own without building anything. */
  private readonly series = new Map<string, Map<string, Series>>();

  constructor(private readonly platform: PlatformMetrics) {}

  increment(name: string, labels: MetricLabels = {}, by = 1): void {
    const series = this.seriesOf(name, labels);
    series.child.inc(by);
    series.total += by;
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
    return this.series.get(name)?.get(labelKey(labels))?.total ?? 0;
  }

  private seriesOf(name: string, labels: MetricLabels): Series {
    let byLabels = this.series.get(name);
    if (!byLabels) {
      byLabels = new Map();
      this.series.set(name, byLabels);
    }
    const key = labelKey(labels);
    let series = byLabels.get(key);
    if (!series) {
      const counter = this.platform.counter(`event_handler_${name}`, helpOf(name), Object.keys(labels));
      series = { child: counter.labels(labels), total: 0 };
      byLabels.set(key, series);
    }
    return series;
  }
}

function helpOf(name: string): string {
  return `event-handler: ${name.replace(/_/g, ' ')}`;
}

/** The label values in the names' order: a counter's label names are the same at every call. */
function labelKey(labels: MetricLabels): string {
  let key = '';
  for (const name in labels) key += `${name}=${labels[name]}\0`;
  return key;
}

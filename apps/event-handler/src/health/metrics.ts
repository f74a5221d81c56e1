import { Injectable } from '@nestjs/common';

export type MetricLabels = Readonly<Record<string, string>>;

/**
 * Process-local counters, exposed by `GET /metrics` in the Prometheus text format. They restart
 * from zero with the process; the durable numbers are the projections themselves.
 */
@Injectable()
export class Metrics {
  private readonly counters = new Map<string, number>();
  private readonly observed = new Map<string, { type: 'counter' | 'gauge'; read: () => number }>();

  increment(name: string, labels: MetricLabels = {}, by = 1): void {
    const key = seriesKey(name, labels);
    this.counters.set(key, (this.counters.get(key) ?? 0) + by);
  }

  /** Registers a gauge read when the metrics are rendered (e.g. open connections). */
  gauge(name: string, read: () => number, labels: MetricLabels = {}): void {
    this.observed.set(seriesKey(name, labels), { type: 'gauge', read });
  }

  /** Registers a counter kept elsewhere (e.g. by a transport), read when rendered. */
  counterFrom(name: string, read: () => number, labels: MetricLabels = {}): void {
    this.observed.set(seriesKey(name, labels), { type: 'counter', read });
  }

  value(name: string, labels: MetricLabels = {}): number {
    const key = seriesKey(name, labels);
    return this.counters.get(key) ?? this.observed.get(key)?.read() ?? 0;
  }

  /** Prometheus text exposition format 0.0.4. */
  render(): string {
    const lines: string[] = [];
    const typed = new Set<string>();
    const emit = (key: string, type: 'counter' | 'gauge', value: number) => {
      const name = key.split('{')[0];
      if (!typed.has(name)) {
        typed.add(name);
        lines.push(`# TYPE event_handler_${name} ${type}`);
      }
      lines.push(`event_handler_${key} ${value}`);
    };
    const series: [string, { type: 'counter' | 'gauge'; read: () => number }][] = [
      ...[...this.counters].map(([key, value]): [string, { type: 'counter'; read: () => number }] => [
        key,
        { type: 'counter', read: () => value },
      ]),
      ...this.observed,
    ];
    for (const [key, { type, read }] of series.sort(byKey)) emit(key, type, read());
    return `${lines.join('\n')}\n`;
  }
}

// Samples of one metric must be contiguous: order by metric name, then by labels.
function byKey([a]: [string, unknown], [b]: [string, unknown]): number {
  const [nameA, nameB] = [a.split('{')[0], b.split('{')[0]];
  if (nameA !== nameB) return nameA < nameB ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

function seriesKey(name: string, labels: MetricLabels): string {
  const entries = Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1));
  if (entries.length === 0) return name;
  const rendered = entries.map(
    ([key, value]) => `${key}="${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`,
  );
  return `${name}{${rendered.join(',')}}`;
}

import { Metrics } from './metrics';

describe('Metrics', () => {
  it('should render counters and gauges in the Prometheus text format, each metric grouped', () => {
    const metrics = new Metrics();
    let open = 2;
    metrics.increment('events_applied_total', { type: 'b' });
    metrics.increment('events_applied_total_extra');
    metrics.increment('events_applied_total', { type: 'a' }, 3);
    metrics.increment('events_applied_total', { type: 'b' });
    metrics.gauge('connections_open', () => open);
    open = 5;

    expect(metrics.render()).toBe(
      [
        '# TYPE event_handler_connections_open gauge',
        'event_handler_connections_open 5',
        '# TYPE event_handler_events_applied_total counter',
        'event_handler_events_applied_total{type="a"} 3',
        'event_handler_events_applied_total{type="b"} 2',
        '# TYPE event_handler_events_applied_total_extra counter',
        'event_handler_events_applied_total_extra 1',
        '',
      ].join('\n'),
    );
  });

  it('should escape label values', () => {
    const metrics = new Metrics();
    metrics.increment('x_total', { reason: 'say "hi"\\\n' });
    expect(metrics.render()).toContain('event_handler_x_total{reason="say \\"hi\\"\\\\\\n"} 1');
  });
});

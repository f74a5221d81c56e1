import { Metrics as PlatformMetrics } from '@hello/platform';
import { EventHandlerMetrics } from './event-handler-metrics';

describe('EventHandlerMetrics', () => {
  it('should serve its counters and gauges from the app registry in the Prometheus text format', async () => {
    const platform = new PlatformMetrics();
    const metrics = new EventHandlerMetrics(platform);
    let open = 5;
    metrics.increment('events_applied_total', { type: 'b' });
    metrics.increment('events_applied_total', { type: 'a' }, 3);
    metrics.increment('events_applied_total', { type: 'b' });
    metrics.gauge('connections_open', () => open);
    open = 7;
    const { body } = await platform.render();
    expect(body).toContain('# TYPE event_handler_events_applied_total counter');
    expect(body).toContain('event_handler_events_applied_total{type="a"} 3');
    expect(body).toContain('event_handler_events_applied_total{type="b"} 2');
    expect(body).toContain('# TYPE event_handler_connections_open gauge');
    expect(body).toContain('event_handler_connections_open 7');
    expect(metrics.value('events_applied_total', { type: 'b' })).toBe(2);
  });

  it('should escape label values', async () => {
    const platform = new PlatformMetrics();
    new EventHandlerMetrics(platform).increment('x_total', { reason: 'say "hi"\\\n' });
    expect((await platform.render()).body).toContain('event_handler_x_total{reason="say \\"hi\\"\\\\\\n"} 1');
  });
});

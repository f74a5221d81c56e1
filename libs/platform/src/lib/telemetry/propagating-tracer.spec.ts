import { context, propagation, ROOT_CONTEXT, trace, TraceFlags } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { PropagatingTracerProvider } from './propagating-tracer';

describe('PropagatingTracerProvider', () => {
  const tracer = new PropagatingTracerProvider().getTracer();
  const contextManager = new AsyncLocalStorageContextManager();

  beforeAll(() => {
    context.setGlobalContextManager(contextManager.enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  });
  afterAll(() => {
    contextManager.disable();
    context.disable();
    propagation.disable();
  });

  it('should start a new sampled trace, non-recording, with valid ids of its own', () => {
    const first = tracer.startSpan('a', {}, ROOT_CONTEXT);
    const second = tracer.startSpan('b', {}, ROOT_CONTEXT);
    expect(first.isRecording()).toBe(false);
    expect(first.spanContext()).toEqual({
      traceId: expect.stringMatching(/^(?!0{32})[0-9a-f]{32}$/),
      spanId: expect.stringMatching(/^(?!0{16})[0-9a-f]{16}$/),
      traceFlags: TraceFlags.SAMPLED,
    });
    expect(second.spanContext().traceId).not.toBe(first.spanContext().traceId);
  });

  it("should continue a caller's trace: its trace id, flags and state, with a span id of its own", () => {
    const carrier = { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00', tracestate: 'k=v' };
    const parent = propagation.extract(ROOT_CONTEXT, carrier);
    const span = tracer.startSpan('child', {}, parent);
    const ids = span.spanContext();
    expect(ids.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(ids.spanId).not.toBe('00f067aa0ba902b7');
    expect(ids.traceFlags).toBe(TraceFlags.NONE);
    expect(ids.traceState?.get('k')).toBe('v');
    // And it travels on as the next hop's parent.
    const out: Record<string, string> = {};
    propagation.inject(trace.setSpan(parent, span), out);
    expect(out['traceparent']).toBe(`00-4bf92f3577b34da6a3ce929d0e0e4736-${ids.spanId}-00`);
  });

  it('should start a new trace for a root span even inside another', () => {
    const outer = tracer.startSpan('outer', {}, ROOT_CONTEXT);
    const root = tracer.startSpan('root', { root: true }, trace.setSpan(ROOT_CONTEXT, outer));
    expect(root.spanContext().traceId).not.toBe(outer.spanContext().traceId);
  });

  it('should make the span active for the callback of startActiveSpan, and return its result', () => {
    const outer = tracer.startSpan('outer', {}, ROOT_CONTEXT);
    const result = context.with(trace.setSpan(ROOT_CONTEXT, outer), () =>
      tracer.startActiveSpan('inner', (span) => {
        expect(trace.getActiveSpan()).toBe(span);
        expect(span.spanContext().traceId).toBe(outer.spanContext().traceId);
        return 42;
      }),
    );
    expect(result).toBe(42);
    const explicit = tracer.startActiveSpan('x', {}, trace.setSpan(ROOT_CONTEXT, outer), (span) => span);
    expect(explicit.spanContext().traceId).toBe(outer.spanContext().traceId);
  });
});

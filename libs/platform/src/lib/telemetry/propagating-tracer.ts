import {
  context,
  isSpanContextValid,
  trace,
  TraceFlags,
  type Context,
  type Span,
  type SpanOptions,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api';

/**
 * The tracer of an app whose spans go nowhere (no exporter configured): every span is non-recording —
 * no attributes, events or timing kept, nothing to process at its end — but has ids of its own, so the
 * trace context still travels on (gRPC, HTTP, AMQP headers) and log lines carry `trace_id`/`span_id`.
 *
 * A child keeps its parent's trace id, flags and state; a new trace is marked sampled, so an app
 * further on that does export records it. (The SDK's own non-recording spans would mark it
 * not sampled and so decide for every app after this one; and the SDK is not loaded at all here.)
 */
export class PropagatingTracerProvider implements TracerProvider {
  private readonly tracer = new PropagatingTracer();

  getTracer(): Tracer {
    return this.tracer;
  }
}

class PropagatingTracer implements Tracer {
  startSpan(_name: string, options?: SpanOptions, parentContext: Context = context.active()): Span {
    const parent = options?.root ? undefined : trace.getSpanContext(parentContext);
    if (parent && isSpanContextValid(parent)) {
      return trace.wrapSpanContext({
        traceId: parent.traceId,
        spanId: randomHex(2),
        traceFlags: parent.traceFlags,
        traceState: parent.traceState,
      });
    }
    return trace.wrapSpanContext({ traceId: randomHex(4), spanId: randomHex(2), traceFlags: TraceFlags.SAMPLED });
  }

  startActiveSpan<F extends (span: Span) => unknown>(name: string, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(name: string, options: SpanOptions, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(
    name: string,
    options: SpanOptions,
    parentContext: Context,
    fn: F,
  ): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(
    name: string,
    ...args: [F] | [SpanOptions, F] | [SpanOptions, Context, F]
  ): ReturnType<F> {
    const fn = args[args.length - 1] as (span: Span) => ReturnType<F>;
    const options = args.length > 1 ? (args[0] as SpanOptions) : undefined;
    const parentContext = args.length > 2 ? (args[1] as Context) : context.active();
    const span = this.startSpan(name, options, parentContext);
    return context.with(trace.setSpan(parentContext, span), fn, undefined, span);
  }
}

/**
 * `words` random 32-bit words as lowercase hex (2 for a span id, 4 for a trace id), never all zeros
 * (an invalid id). Ids identify, they protect nothing: Math.random is enough, as in the SDK's own
 * generator, and costs no system call.
 */
function randomHex(words: number): string {
  let hex = '';
  for (let i = 0; i < words; i++) hex += ((Math.random() * 0x1_0000_0000) >>> 0).toString(16).padStart(8, '0');
  return /^0+$/.test(hex) ? `${hex.slice(0, -1)}1` : hex;
}

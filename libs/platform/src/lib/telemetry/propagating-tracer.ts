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
import { randomFillSync } from 'node:crypto';

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
        spanId: randomHex(8),
        traceFlags: parent.traceFlags,
        traceState: parent.traceState,
      });
    }
    return trace.wrapSpanContext({ traceId: randomHex(16), spanId: randomHex(8), traceFlags: TraceFlags.SAMPLED });
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

/** Random bytes for ids, drawn from the OS 4 KiB at a time: one system call per few hundred ids. */
const pool = Buffer.alloc(4096);
let used = pool.length;
const ZEROS = { 8: '0'.repeat(16), 16: '0'.repeat(32) };

/**
 * `bytes` random bytes as lowercase hex (8 for a span id, 16 for a trace id), never all zeros (an
 * invalid id).
 */
function randomHex(bytes: 8 | 16): string {
  if (used + bytes > pool.length) {
    randomFillSync(pool);
    used = 0;
  }
  const hex = pool.toString('hex', used, used + bytes);
  used += bytes;
  return hex === ZEROS[bytes] ? `${hex.slice(0, -1)}1` : hex;
}

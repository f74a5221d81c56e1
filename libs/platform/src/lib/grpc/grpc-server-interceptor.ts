import {
  ServerInterceptingCall,
  status as GrpcStatus,
  type Metadata,
  type ServerInterceptor,
  type ServerListener,
  type ServerMethodDefinition,
} from '@grpc/grpc-js';
import { context, type Context, type TextMapGetter } from '@opentelemetry/api';
import { LabelledChildren } from '../metrics/labelled-children';
import type { Metrics } from '../metrics/metrics';
import { continuesIncomingTraceContext, serverContextOf } from '../telemetry/incoming-trace-context';

type Method = ServerMethodDefinition<unknown, unknown>;

/**
 * The platform's grpc-js server interceptor: it counts and times every call by service, method, call
 * type and status code, and continues each call's W3C trace context (`traceparent` in its metadata)
 * when no instrumentation does (see continuesIncomingTraceContext), so the handler runs in a context
 * holding the call's SERVER span: its log lines and the events it publishes carry the caller's trace.
 *
 * The status counted is the one grpc-js sends, whatever produced it (handler, exception filter,
 * deadline, size limit); a call the client cancelled counts as CANCELLED.
 *
 * One interceptor for both: grpc-js wraps every call in a layer of listeners per interceptor, and a
 * layer costs several percent of a unary call's CPU.
 */
export function grpcServerInterceptor(metrics: Metrics): ServerInterceptor {
  const perMethod = methodState(metrics);
  const tracing = continuesIncomingTraceContext();
  return (method: Method, call) => {
    const series = perMethod(method);
    const begun = process.hrtime.bigint();
    let finished = false;
    const finish = (code: number) => {
      if (finished) return;
      finished = true;
      series.inFlight.dec();
      const { handled, handlingSeconds } = series.completed.get(code);
      handled.inc();
      handlingSeconds.observe(Number(process.hrtime.bigint() - begun) / 1e9);
    };
    series.started.inc();
    series.inFlight.inc();
    const onCancel = () => finish(GrpcStatus.CANCELLED);
    return new ServerInterceptingCall(call, {
      start: (next) => next(tracing ? tracingListener(method, series.spanName, onCancel) : { onCancel }),
      sendStatus: (status, next) => {
        finish(status.code);
        next(status);
      },
    });
  };
}

const metadataGetter: TextMapGetter<Metadata> = {
  keys: (metadata) => Object.keys(metadata.getMap()),
  get: (metadata, key) => {
    const [value] = metadata.get(key);
    return value === undefined ? undefined : String(value);
  },
};

/**
 * Runs the rest of the call in the context of its SERVER span. grpc-js starts a handler on the
 * metadata (client and bidi streams) or at the request's end (unary, server streams); the messages
 * of a client stream reach the handler's stream one by one, so they are passed on in the context too.
 */
function tracingListener(method: Method, spanName: string, onCancel: () => void): ServerListener {
  let callContext: Context = context.active();
  return {
    onReceiveMetadata: (metadata, next) => {
      callContext = serverContextOf(spanName, metadata, metadataGetter);
      context.with(callContext, next, undefined, metadata);
    },
    onReceiveMessage: method.requestStream
      ? (message, next) => context.with(callContext, next, undefined, message)
      : undefined,
    onReceiveHalfClose: (next) => context.with(callContext, next),
    onCancel,
  };
}

/**
 * Per method path, its series and span name, made on its first call (grpc-js makes a new method
 * definition for every call).
 */
function methodState(metrics: Metrics) {
  const { started, handled, handlingSeconds, inFlight } = metrics.grpc;
  const seriesOf = (method: Method) => {
    const { service, name } = splitPath(method.path);
    const labels = { grpc_type: callType(method), grpc_service: service, grpc_method: name };
    return {
      spanName: method.path.slice(1),
      started: started.labels(labels),
      inFlight: inFlight.labels({ grpc_service: service, grpc_method: name }),
      // Per status code: its completed series.
      completed: new LabelledChildren((code: number) => {
        const completedLabels = { ...labels, grpc_code: GrpcStatus[code] ?? String(code) };
        return { handled: handled.labels(completedLabels), handlingSeconds: handlingSeconds.labels(completedLabels) };
      }),
    };
  };
  const methods = new Map<string, ReturnType<typeof seriesOf>>();
  return (method: Method) => {
    let series = methods.get(method.path);
    if (!series) {
      series = seriesOf(method);
      methods.set(method.path, series);
    }
    return series;
  };
}

function splitPath(path: string): { service: string; name: string } {
  const match = /^\/([^/]+)\/([^/]+)$/.exec(path);
  return match ? { service: match[1], name: match[2] } : { service: 'unknown', name: path };
}

function callType(method: Method): string {
  if (method.requestStream) return method.responseStream ? 'bidi_stream' : 'client_stream';
  return method.responseStream ? 'server_stream' : 'unary';
}

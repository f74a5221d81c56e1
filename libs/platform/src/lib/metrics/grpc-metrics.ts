import {
  ServerInterceptingCall,
  status as GrpcStatus,
  type ServerInterceptor,
  type ServerMethodDefinition,
} from '@grpc/grpc-js';
import { LabelledChildren } from './labelled-children';
import type { Metrics } from './metrics';

/**
 * A grpc-js server interceptor that counts and times every call by service, method, call type and
 * status code. It sees the status grpc-js sends, whatever produced it (handler, exception filter,
 * deadline, size limit), and a call the client cancelled as CANCELLED.
 */
export function grpcMetricsInterceptor(metrics: Metrics): ServerInterceptor {
  const { started, handled, handlingSeconds, inFlight } = metrics.grpc;
  // Per method path: its series, made on the first call (grpc-js makes a new method definition for
  // every call, but its path is the registered handler's); per status code: its completed series.
  const methods = new Map<string, ReturnType<typeof seriesOf>>();
  const seriesOf = (method: ServerMethodDefinition<unknown, unknown>) => {
    const { service, name } = splitPath(method.path);
    const labels = { grpc_type: callType(method), grpc_service: service, grpc_method: name };
    return {
      started: started.labels(labels),
      inFlight: inFlight.labels({ grpc_service: service, grpc_method: name }),
      completed: new LabelledChildren((code: number) => {
        const completedLabels = { ...labels, grpc_code: GrpcStatus[code] ?? String(code) };
        return { handled: handled.labels(completedLabels), handlingSeconds: handlingSeconds.labels(completedLabels) };
      }),
    };
  };
  return (method: ServerMethodDefinition<unknown, unknown>, call) => {
    let series = methods.get(method.path);
    if (!series) {
      series = seriesOf(method);
      methods.set(method.path, series);
    }
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
    return new ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onCancel: () => finish(GrpcStatus.CANCELLED),
        }),
      sendStatus: (status, next) => {
        finish(status.code);
        next(status);
      },
    });
  };
}

function splitPath(path: string): { service: string; name: string } {
  const match = /^\/([^/]+)\/([^/]+)$/.exec(path);
  return match ? { service: match[1], name: match[2] } : { service: 'unknown', name: path };
}

function callType(method: ServerMethodDefinition<unknown, unknown>): string {
  if (method.requestStream) return method.responseStream ? 'bidi_stream' : 'client_stream';
  return method.responseStream ? 'server_stream' : 'unary';
}

import {
  ServerInterceptingCall,
  status as GrpcStatus,
  type ServerInterceptor,
  type ServerMethodDefinition,
} from '@grpc/grpc-js';
import type { Metrics } from './metrics';

/**
 * A grpc-js server interceptor that counts and times every call by service, method, call type and
 * status code. It sees the status grpc-js sends, whatever produced it (handler, exception filter,
 * deadline, size limit), and a call the client cancelled as CANCELLED.
 */
export function grpcMetricsInterceptor(metrics: Metrics): ServerInterceptor {
  const { started, handled, handlingSeconds, inFlight } = metrics.grpc;
  return (method: ServerMethodDefinition<unknown, unknown>, call) => {
    const { service, name } = splitPath(method.path);
    const type = callType(method);
    const labels = { grpc_type: type, grpc_service: service, grpc_method: name };
    const begun = process.hrtime.bigint();
    let finished = false;
    const finish = (code: number) => {
      if (finished) return;
      finished = true;
      inFlight.dec({ grpc_service: service, grpc_method: name });
      const codeName = GrpcStatus[code] ?? String(code);
      handled.inc({ ...labels, grpc_code: codeName });
      handlingSeconds.observe({ ...labels, grpc_code: codeName }, Number(process.hrtime.bigint() - begun) / 1e9);
    };
    started.inc(labels);
    inFlight.inc({ grpc_service: service, grpc_method: name });
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

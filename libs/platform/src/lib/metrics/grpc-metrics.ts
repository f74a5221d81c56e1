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
  // Per method: its labels and series, found once; per method and status code: the completed series.
  const methods = new LabelledChildren((path) => {
    const { service, name } = splitPath(path);
    return { service, name, inFlight: inFlight.labels({ grpc_service: service, grpc_method: name }) };
  });
  const completed = new LabelledChildren((key) => {
    const [type, path, codeName] = key.split(' ');
    const { service, name } = methods.get(path);
    const labels = { grpc_type: type, grpc_service: service, grpc_method: name, grpc_code: codeName };
    return { handled: handled.labels(labels), handlingSeconds: handlingSeconds.labels(labels) };
  });
  const startedByType = new LabelledChildren((key) => {
    const [type, path] = key.split(' ');
    const { service, name } = methods.get(path);
    return started.labels({ grpc_type: type, grpc_service: service, grpc_method: name });
  });
  return (method: ServerMethodDefinition<unknown, unknown>, call) => {
    const type = callType(method);
    const methodKey = `${type} ${method.path}`;
    const { inFlight: methodInFlight } = methods.get(method.path);
    const begun = process.hrtime.bigint();
    let finished = false;
    const finish = (code: number) => {
      if (finished) return;
      finished = true;
      methodInFlight.dec();
      const series = completed.get(`${methodKey} ${GrpcStatus[code] ?? String(code)}`);
      series.handled.inc();
      series.handlingSeconds.observe(Number(process.hrtime.bigint() - begun) / 1e9);
    };
    startedByType.get(methodKey).inc();
    methodInFlight.inc();
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

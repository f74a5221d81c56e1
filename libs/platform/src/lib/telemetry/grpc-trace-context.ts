import { ServerInterceptingCall, type Metadata, type ServerInterceptor } from '@grpc/grpc-js';
import { context, type Context, type TextMapGetter } from '@opentelemetry/api';
import { continuesIncomingTraceContext, serverContextOf } from './incoming-trace-context';

const metadataGetter: TextMapGetter<Metadata> = {
  keys: (metadata) => Object.keys(metadata.getMap()),
  get: (metadata, key) => {
    const [value] = metadata.get(key);
    return value === undefined ? undefined : String(value);
  },
};

/**
 * A grpc-js server interceptor that continues each call's W3C trace context (`traceparent` in its
 * metadata) when no instrumentation does (see continuesIncomingTraceContext): the handler runs in a
 * context holding the call's SERVER span, so its log lines and the events it publishes carry the
 * caller's trace. Does nothing when the gRPC instrumentation is there to do it.
 */
export function grpcTraceContextInterceptor(): ServerInterceptor | undefined {
  if (!continuesIncomingTraceContext()) return undefined;
  return (method, call) => {
    let callContext: Context | undefined;
    const inCallContext = (next: () => void) => (callContext ? context.with(callContext, next) : next());
    return new ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (metadata, nextMetadata) => {
            callContext = serverContextOf(method.path.slice(1), metadata, metadataGetter);
            inCallContext(() => nextMetadata(metadata));
          },
          // grpc-js starts a handler on the metadata (bidi streams) or at the request's end (the rest).
          onReceiveMessage: (message, nextMessage) => inCallContext(() => nextMessage(message)),
          onReceiveHalfClose: (nextHalfClose) => inCallContext(nextHalfClose),
        }),
    });
  };
}

/**
 * The platform's gRPC server part, apart from `@hello/platform` so that apps serving no gRPC do not
 * load grpc-js: RED metrics and trace context continuation, in one grpc-js server interceptor.
 */
export * from './lib/grpc/grpc-server-interceptor';

/**
 * The platform's gRPC server parts, apart from `@hello/platform` so that apps serving no gRPC do not
 * load grpc-js: RED metrics and trace context continuation, as grpc-js server interceptors.
 */
export * from './lib/metrics/grpc-metrics';
export * from './lib/telemetry/grpc-trace-context';

export * from './lib/contract-violation';
export * from './lib/grpc/helloworld.generated';
export * from './lib/grpc/health.generated';
export * from './lib/grpc/greeting';
export * from './lib/grpc/proto-path';
export * from './lib/messaging/topology';
export * from './lib/messaging/hello-message';
export * from './lib/events';

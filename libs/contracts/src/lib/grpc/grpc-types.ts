// The gRPC contracts under the names the apps use, over what proto-loader-gen-types generates from
// proto/ into generated/ (`npm run generate`). A message is its `__Output` type: with the project's
// PROTO_LOADER_OPTIONS (defaults, enums as numbers) every field is set, as a handler receives it.
import type { HealthDefinition } from './generated/grpc/health/v1/Health';
import type { HealthCheckRequest__Output } from './generated/grpc/health/v1/HealthCheckRequest';
import {
  _grpc_health_v1_HealthCheckResponse_ServingStatus as ServingStatus,
  type _grpc_health_v1_HealthCheckResponse_ServingStatus__Output as ServingStatusValue,
  type HealthCheckResponse__Output,
} from './generated/grpc/health/v1/HealthCheckResponse';
import type { GreeterDefinition } from './generated/helloworld/Greeter';
import type { HelloReply__Output } from './generated/helloworld/HelloReply';
import type { HelloRequest__Output } from './generated/helloworld/HelloRequest';

export type HelloRequest = HelloRequest__Output;
export type HelloReply = HelloReply__Output;
export type HealthCheckRequest = HealthCheckRequest__Output;
export type HealthCheckResponse = HealthCheckResponse__Output;
/** grpc.health.v1's serving status: `HealthCheckResponse_ServingStatus.SERVING` is 1, as on the wire. */
export const HealthCheckResponse_ServingStatus = ServingStatus;
export type HealthCheckResponse_ServingStatus = ServingStatusValue;

/** How one RPC of a service is called. */
interface RpcShape {
  readonly requestType: string;
  readonly responseType: string;
  readonly requestStream: boolean;
  readonly responseStream: boolean;
}

/** One RpcShape for each RPC of a generated service definition (grpc-js' index signature left out). */
type RpcShapes<Definition> = {
  readonly [Name in keyof Definition as string extends Name ? never : number extends Name ? never : Name]: RpcShape;
};

export const GREETER_PACKAGE = 'helloworld';
export const GREETER_SERVICE_NAME = 'Greeter';
export const GREETER_FULL_NAME = 'helloworld.Greeter';
export const GREETER_PROTO_FILE = 'helloworld.proto';

/** The RPCs of helloworld.Greeter, with their streaming shape. */
export const GREETER_METHODS = {
  SayHello: { requestType: 'HelloRequest', responseType: 'HelloReply', requestStream: false, responseStream: false },
  SayHelloStreamReply: {
    requestType: 'HelloRequest',
    responseType: 'HelloReply',
    requestStream: false,
    responseStream: true,
  },
  SayHelloBidiStream: {
    requestType: 'HelloRequest',
    responseType: 'HelloReply',
    requestStream: true,
    responseStream: true,
  },
} as const satisfies RpcShapes<GreeterDefinition>;

export type GreeterMethodName = keyof typeof GREETER_METHODS;

export const HEALTH_PACKAGE = 'grpc.health.v1';
export const HEALTH_SERVICE_NAME = 'Health';
export const HEALTH_FULL_NAME = 'grpc.health.v1.Health';
export const HEALTH_PROTO_FILE = 'grpc/health/v1/health.proto';

/** The RPCs of grpc.health.v1.Health, with their streaming shape. */
export const HEALTH_METHODS = {
  Check: {
    requestType: 'HealthCheckRequest',
    responseType: 'HealthCheckResponse',
    requestStream: false,
    responseStream: false,
  },
  Watch: {
    requestType: 'HealthCheckRequest',
    responseType: 'HealthCheckResponse',
    requestStream: false,
    responseStream: true,
  },
} as const satisfies RpcShapes<HealthDefinition>;

export type HealthMethodName = keyof typeof HEALTH_METHODS;

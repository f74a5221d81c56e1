import {
  GREETER_PACKAGE,
  GREETER_PROTO_FILE,
  HEALTH_PACKAGE,
  HEALTH_PROTO_FILE,
  PROTO_LOADER_OPTIONS,
  protoPath,
} from '@hello/contracts';
import { ReflectionService } from '@grpc/reflection';
import type { GrpcOptions } from '@nestjs/microservices';
import type { GreeterConfig } from '../config/greeter.config';

/** The gRPC server options of the greeter: its two services, size limit and reflection. */
export function greeterGrpcOptions(config: GreeterConfig): GrpcOptions['options'] {
  return {
    url: config.grpcUrl,
    package: [GREETER_PACKAGE, HEALTH_PACKAGE],
    protoPath: [protoPath(GREETER_PROTO_FILE), protoPath(HEALTH_PROTO_FILE)],
    loader: { ...PROTO_LOADER_OPTIONS },
    // grpc-js refuses a larger request with RESOURCE_EXHAUSTED before it is even decoded.
    maxReceiveMessageLength: config.maxReceiveMessageBytes,
    // Reflection describes exactly what is served, so clients such as grpcurl need no .proto.
    onLoadPackageDefinition: (packageDefinition, server) =>
      new ReflectionService(packageDefinition).addToServer(server),
  };
}

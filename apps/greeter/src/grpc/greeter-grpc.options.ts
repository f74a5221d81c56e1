import {
  GREETER_PACKAGE,
  GREETER_PROTO_FILE,
  HEALTH_PACKAGE,
  HEALTH_PROTO_FILE,
  PROTO_LOADER_OPTIONS,
  protoPath,
} from '@hello/contracts';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { ServerCredentials } from '@grpc/grpc-js';
import { ReflectionService } from '@grpc/reflection';
import { loadSync, type PackageDefinition } from '@grpc/proto-loader';
import type { GrpcOptions } from '@nestjs/microservices';
import type { Metrics } from '@hello/platform';
import { grpcServerInterceptor } from '@hello/platform/grpc';
import type { GreeterConfig, GreeterTls } from '../config/greeter.config';

/** The gRPC server options of the greeter: its two services, size limit and reflection. */
export function greeterGrpcOptions(config: GreeterConfig, metrics: Metrics): GrpcOptions['options'] {
  return {
    url: config.grpcUrl,
    credentials: serverCredentials(config.grpcTls),
    package: [GREETER_PACKAGE, HEALTH_PACKAGE],
    protoPath: [protoPath(GREETER_PROTO_FILE), protoPath(HEALTH_PROTO_FILE)],
    loader: { ...PROTO_LOADER_OPTIONS },
    // grpc-js refuses a larger request with RESOURCE_EXHAUSTED before it is even decoded.
    maxReceiveMessageLength: config.maxReceiveMessageBytes,
    // Nest passes channelOptions on to grpc-js' Server: the interceptor sees every call, from its
    // metadata (the caller's trace context) to its status (metrics).
    channelOptions: { interceptors: [grpcServerInterceptor(metrics)] } as GrpcOptions['options']['channelOptions'],
    // Reflection describes exactly what is served, so clients such as grpcurl need no .proto.
    onLoadPackageDefinition: (packageDefinition: PackageDefinition, server) =>
      new ReflectionService({ ...packageDefinition, ...reflectionPackageDefinition() }).addToServer(server),
  };
}

/**
 * TLS when a certificate is configured; with a client CA as well, grpc-js refuses every handshake
 * without a client certificate that CA signed (checkClientCertificate).
 */
export function serverCredentials(tls: GreeterTls | undefined): ServerCredentials {
  if (!tls) return ServerCredentials.createInsecure();
  return ServerCredentials.createSsl(
    tls.clientCa ?? null,
    [{ cert_chain: tls.cert, private_key: tls.key }],
    !!tls.clientCa,
  );
}

// The reflection service lists only the services it is given. Giving it its own protos too makes
// it list and describe itself, as grpc-go and grpc-java servers do, so `grpcurl list` shows all
// that is served. The protos ship with @grpc/reflection; createRequire resolves it at run time
// (webpack would turn a plain require.resolve into a module id).
function reflectionPackageDefinition(): PackageDefinition {
  const reflectionMain = createRequire(__filename).resolve('@grpc/reflection');
  const protoDir = join(dirname(reflectionMain), '..', 'proto');
  return loadSync(['grpc/reflection/v1/reflection.proto', 'grpc/reflection/v1alpha/reflection.proto'], {
    ...PROTO_LOADER_OPTIONS,
    includeDirs: [protoDir],
  });
}

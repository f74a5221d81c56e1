import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import * as protoLoader from '@grpc/proto-loader';
import { GREETER_FULL_NAME, GREETER_METHODS, HEALTH_FULL_NAME, HEALTH_METHODS } from './grpc-types';
import { PROTO_LOADER_OPTIONS, protoPath } from './proto-path';

const ROOT = join(__dirname, '..', '..', '..', '..', '..');

/** Each .proto file, its service and the RPCs grpc-types.ts declares for it. */
const SERVICES = [
  ['helloworld.proto', GREETER_FULL_NAME, GREETER_METHODS],
  ['grpc/health/v1/health.proto', HEALTH_FULL_NAME, HEALTH_METHODS],
] as const;

function loadService(file: string, fullName: string): protoLoader.ServiceDefinition {
  const definition = protoLoader.loadSync(protoPath(file), PROTO_LOADER_OPTIONS);
  return definition[fullName] as protoLoader.ServiceDefinition;
}

describe('generated gRPC types', () => {
  it('should match what the .proto files generate today', () => {
    const check = spawnSync(process.execPath, ['tools/proto/generate-types.cjs', '--check'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(check.stderr).toBe('');
    expect(check.status).toBe(0);
  });

  it.each(SERVICES)('should describe every RPC of %s as proto-loader loads it', (file, fullName, methods) => {
    const service = loadService(file, fullName);
    const loaded = Object.fromEntries(
      Object.entries(service).map(([name, m]) => [
        name,
        { requestStream: m.requestStream, responseStream: m.responseStream },
      ]),
    );
    const declared = Object.fromEntries(
      Object.entries(methods).map(([name, m]) => [
        name,
        { requestStream: m.requestStream, responseStream: m.responseStream },
      ]),
    );
    expect(declared).toEqual(loaded);
  });

  it.each(SERVICES)(
    'should name the request and response of every RPC of %s as proto-loader loads them',
    (file, fullName, methods) => {
      const typeName = (type: protoLoader.MessageTypeDefinition<object, object>) =>
        (type.type as { name: string }).name;
      const loaded = Object.fromEntries(
        Object.entries(loadService(file, fullName)).map(([name, m]) => [
          name,
          { requestType: typeName(m.requestType), responseType: typeName(m.responseType) },
        ]),
      );
      const declared = Object.fromEntries(
        Object.entries(methods).map(([name, m]) => [
          name,
          { requestType: m.requestType, responseType: m.responseType },
        ]),
      );
      expect(declared).toEqual(loaded);
    },
  );

  it('should keep the field numbers of gRPC helloworld', () => {
    const definition = protoLoader.loadSync(protoPath('helloworld.proto'), PROTO_LOADER_OPTIONS);
    const fields = (type: string) =>
      (
        definition[`helloworld.${type}`] as { type: { field: { name: string; number: number; type: string }[] } }
      ).type.field.map((f) => [f.name, f.number, f.type]);
    expect(fields('HelloRequest')).toEqual([['name', 1, 'TYPE_STRING']]);
    expect(fields('HelloReply')).toEqual([['message', 1, 'TYPE_STRING']]);
  });
});

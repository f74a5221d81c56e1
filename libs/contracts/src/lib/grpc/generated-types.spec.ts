import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import * as protoLoader from '@grpc/proto-loader';
import { GREETER_FULL_NAME, GREETER_METHODS } from './helloworld.generated';
import { HEALTH_FULL_NAME, HEALTH_METHODS } from './health.generated';
import { PROTO_LOADER_OPTIONS, protoPath } from './proto-path';

const ROOT = join(__dirname, '..', '..', '..', '..', '..');

describe('generated gRPC types', () => {
  it('should match what the .proto files generate today', () => {
    const check = spawnSync(process.execPath, ['tools/proto/generate-types.cjs', '--check'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(check.stderr).toBe('');
    expect(check.status).toBe(0);
  });

  it.each([
    ['helloworld.proto', GREETER_FULL_NAME, GREETER_METHODS],
    ['grpc/health/v1/health.proto', HEALTH_FULL_NAME, HEALTH_METHODS],
  ])('should describe every RPC of %s as proto-loader loads it', (file, fullName, methods) => {
    const definition = protoLoader.loadSync(protoPath(file), PROTO_LOADER_OPTIONS);
    const service = definition[fullName] as protoLoader.ServiceDefinition;
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

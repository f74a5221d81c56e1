import { status } from '@grpc/grpc-js';
import { FileDescriptorProto } from 'protobufjs/ext/descriptor';
import { outcomeOf, reflectionClient, startTestGreeter, type DynamicClient } from './support/greeter-harness';
import type { GreeterApp } from '../src/greeter.app';

interface ReflectionResponse {
  list_services_response?: { service: { name: string }[] };
  file_descriptor_response?: { file_descriptor_proto: Buffer[] };
  error_response?: { error_code: number; error_message: string };
}

/** Sends reflection requests on one ServerReflectionInfo stream and returns the responses. */
async function reflect(client: DynamicClient, requests: object[]): Promise<ReflectionResponse[]> {
  const call = client['ServerReflectionInfo']();
  const outcome = outcomeOf<ReflectionResponse>(call);
  for (const request of requests) call.write(request);
  call.end();
  const { messages, status: final } = await outcome;
  expect(final.code).toBe(status.OK);
  return messages;
}

interface DecodedFile {
  name: string;
  package: string;
  dependency: string[];
  messageType: { name: string; field: { name: string; number: number; type: number }[] }[];
  service: {
    name: string;
    method: {
      name: string;
      inputType: string;
      outputType: string;
      clientStreaming?: boolean;
      serverStreaming?: boolean;
    }[];
  }[];
}

function decode(bytes: Buffer): DecodedFile {
  return FileDescriptorProto.toObject(FileDescriptorProto.decode(bytes), { defaults: false }) as unknown as DecodedFile;
}

describe('server reflection over a real socket', () => {
  let greeter: GreeterApp;

  beforeAll(async () => {
    greeter = await startTestGreeter();
  });

  afterAll(async () => {
    await greeter?.shutdown();
  });

  describe.each(['v1', 'v1alpha'] as const)('grpc.reflection.%s.ServerReflection', (version) => {
    let client: DynamicClient;

    beforeAll(() => {
      client = reflectionClient(greeter.url, version);
    });

    afterAll(() => client?.close());

    it('should list every service served: greeter, health and reflection itself', async () => {
      const [response] = await reflect(client, [{ list_services: '' }]);
      expect(response.list_services_response?.service.map((s) => s.name).sort()).toEqual([
        'grpc.health.v1.Health',
        'grpc.reflection.v1.ServerReflection',
        'grpc.reflection.v1alpha.ServerReflection',
        'helloworld.Greeter',
      ]);
    });

    it('should describe itself', async () => {
      const [response] = await reflect(client, [
        { file_containing_symbol: `grpc.reflection.${version}.ServerReflection` },
      ]);
      const files = (response.file_descriptor_response?.file_descriptor_proto ?? []).map(decode);
      const reflection = files.flatMap((f) => f.service ?? []).find((s) => s.name === 'ServerReflection');
      expect(reflection?.method.map((m) => m.name)).toEqual(['ServerReflectionInfo']);
    });

    it('should hand out a file descriptor that describes every Greeter RPC', async () => {
      const [response] = await reflect(client, [{ file_containing_symbol: 'helloworld.Greeter' }]);
      const files = (response.file_descriptor_response?.file_descriptor_proto ?? []).map(decode);
      const file = files.find((f) => f.service?.some((s) => s.name === 'Greeter'));
      expect(file).toMatchObject({ name: 'helloworld.proto', package: 'helloworld' });
      const greeterService = file?.service.find((s) => s.name === 'Greeter');
      expect(greeterService?.method).toEqual([
        { name: 'SayHello', inputType: '.helloworld.HelloRequest', outputType: '.helloworld.HelloReply' },
        {
          name: 'SayHelloStreamReply',
          inputType: '.helloworld.HelloRequest',
          outputType: '.helloworld.HelloReply',
          serverStreaming: true,
        },
        {
          name: 'SayHelloBidiStream',
          inputType: '.helloworld.HelloRequest',
          outputType: '.helloworld.HelloReply',
          clientStreaming: true,
          serverStreaming: true,
        },
      ]);
      expect(file?.messageType.map((m) => [m.name, m.field.map((f) => [f.name, f.number])])).toEqual([
        ['HelloRequest', [['name', 1]]],
        ['HelloReply', [['message', 1]]],
      ]);
    });

    it('should describe the health service too', async () => {
      const [response] = await reflect(client, [{ file_containing_symbol: 'grpc.health.v1.Health' }]);
      const files = (response.file_descriptor_response?.file_descriptor_proto ?? []).map(decode);
      const health = files.flatMap((f) => f.service ?? []).find((s) => s.name === 'Health');
      expect(health?.method.map((m) => [m.name, Boolean(m.serverStreaming)])).toEqual([
        ['Check', false],
        ['Watch', true],
      ]);
    });

    it('should answer NOT_FOUND in the stream for a symbol nobody serves', async () => {
      const [response] = await reflect(client, [{ file_containing_symbol: 'helloworld.Nope' }]);
      expect(response.error_response?.error_code).toBe(status.NOT_FOUND);
    });
  });
});

import { dirname, join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { LoggerService, LogLevel } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Test, type TestingModuleBuilder } from '@nestjs/testing';
import { createTestVhost, freePort, testPlatformConfig } from '@hello/testing';
import {
  GREETER_PROTO_FILE,
  HEALTH_PROTO_FILE,
  PROTO_LOADER_OPTIONS,
  protoPath,
  type HelloReply,
  type HelloRequest,
} from '@hello/contracts';
import { AppModule } from '../../src/app.module';
import type { GreeterConfig } from '../../src/config/greeter.config';
import { createGreeterApp, startGreeterApp, type GreeterApp } from '../../src/greeter.app';

/** The test broker the Jest global setup started (or the one RABBITMQ_URL names). */
export function testBrokerUrl(): string {
  const url = process.env['RABBITMQ_URL'];
  if (!url) throw new Error('RABBITMQ_URL is not set: run the tests through Jest, whose global setup starts RabbitMQ');
  return url;
}

// Nest's gRPC url cannot report a port picked with :0, so tests pick a free one first.
export async function testConfig(overrides: Partial<GreeterConfig> = {}): Promise<GreeterConfig> {
  return {
    platform: testPlatformConfig(),
    grpcUrl: `127.0.0.1:${await freePort()}`,
    httpPort: 0,
    maxReceiveMessageBytes: 4096,
    shutdownGraceMs: 5_000,
    rabbitmqUrl: testBrokerUrl(),
    eventsBufferSize: 10_000,
    eventsHighWater: 8_000,
    rpcPrefetch: 100,
    ...overrides,
  };
}

/**
 * Starts the greeter exactly as main.ts does, on a free loopback port. Unless `rabbitmqUrl` is
 * given, it publishes into a vhost of its own on the test broker, deleted after its shutdown, so
 * that its events never reach another test's queues.
 */
export async function startTestGreeter(overrides: Partial<GreeterConfig> = {}): Promise<GreeterApp> {
  if (overrides.rabbitmqUrl) return startGreeter(await testConfig(overrides));
  const vhost = await createTestVhost('greeter');
  try {
    return deletingVhostAfterShutdown(
      await startGreeter(await testConfig({ ...overrides, rabbitmqUrl: vhost.url })),
      vhost,
    );
  } catch (error) {
    await vhost.delete();
    throw error;
  }
}

async function startGreeter(config: GreeterConfig): Promise<GreeterApp> {
  return startGreeterApp(await createGreeterApp(config), config);
}

function deletingVhostAfterShutdown(greeter: GreeterApp, vhost: { delete(): Promise<void> }): GreeterApp {
  let closing: Promise<void> | undefined;
  const close = () => (closing ??= greeter.shutdown().finally(() => vhost.delete()));
  return { ...greeter, close, shutdown: close };
}

/** Keeps what the application logs so a test can assert on it. */
export class CapturingLogger implements LoggerService {
  readonly entries: { level: LogLevel; message: string; extra: unknown[] }[] = [];
  log = (message: unknown, ...extra: unknown[]) => this.keep('log', message, extra);
  error = (message: unknown, ...extra: unknown[]) => this.keep('error', message, extra);
  warn = (message: unknown, ...extra: unknown[]) => this.keep('warn', message, extra);
  debug = (message: unknown, ...extra: unknown[]) => this.keep('debug', message, extra);
  verbose = (message: unknown, ...extra: unknown[]) => this.keep('verbose', message, extra);
  fatal = (message: unknown, ...extra: unknown[]) => this.keep('fatal', message, extra);

  private keep(level: LogLevel, message: unknown, extra: unknown[]): void {
    this.entries.push({ level, message: String(message), extra });
  }
}

/**
 * Starts the greeter from AppModule with some providers replaced, through the same
 * startGreeterApp() as main.ts, logging into `logger`.
 */
export async function startGreeterWith(
  override: (builder: TestingModuleBuilder) => TestingModuleBuilder,
  logger: LoggerService = new CapturingLogger(),
  overrides: Partial<GreeterConfig> = {},
): Promise<GreeterApp> {
  const vhost = overrides.rabbitmqUrl ? undefined : await createTestVhost('greeter');
  try {
    const config = await testConfig({ rabbitmqUrl: vhost?.url, ...overrides });
    const moduleRef = await override(Test.createTestingModule({ imports: [AppModule.register(config)] })).compile();
    const app = moduleRef.createNestApplication<NestExpressApplication>({ logger });
    const greeter = await startGreeterApp(app, config);
    return vhost ? deletingVhostAfterShutdown(greeter, vhost) : greeter;
  } catch (error) {
    await vhost?.delete();
    throw error;
  }
}

// Enums as names make the assertions read like the protocol.
const CLIENT_LOADER_OPTIONS = { ...PROTO_LOADER_OPTIONS, enums: String };

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type DynamicClient = grpc.Client & Record<string, any>;

function lookup(root: grpc.GrpcObject, fullName: string): grpc.ServiceClientConstructor {
  let node: unknown = root;
  for (const part of fullName.split('.')) node = (node as Record<string, unknown>)[part];
  return node as grpc.ServiceClientConstructor;
}

export function greeterClient(
  url: string,
  credentials = grpc.credentials.createInsecure(),
  options?: grpc.ClientOptions,
): DynamicClient {
  const definition = protoLoader.loadSync(protoPath(GREETER_PROTO_FILE), CLIENT_LOADER_OPTIONS);
  const Greeter = lookup(grpc.loadPackageDefinition(definition), 'helloworld.Greeter');
  return new Greeter(url, credentials, options) as DynamicClient;
}

export function healthClient(url: string, credentials = grpc.credentials.createInsecure()): DynamicClient {
  const definition = protoLoader.loadSync(protoPath(HEALTH_PROTO_FILE), CLIENT_LOADER_OPTIONS);
  const Health = lookup(grpc.loadPackageDefinition(definition), 'grpc.health.v1.Health');
  return new Health(url, credentials) as DynamicClient;
}

/** A client of grpc.reflection.<version>.ServerReflection built from the proto @grpc/reflection ships. */
export function reflectionClient(
  url: string,
  version: 'v1' | 'v1alpha',
  credentials = grpc.credentials.createInsecure(),
): DynamicClient {
  const protoDir = join(dirname(require.resolve('@grpc/reflection')), '..', 'proto');
  const definition = protoLoader.loadSync(join(protoDir, 'grpc', 'reflection', version, 'reflection.proto'), {
    ...CLIENT_LOADER_OPTIONS,
    bytes: Buffer,
  });
  const ServerReflection = lookup(
    grpc.loadPackageDefinition(definition),
    `grpc.reflection.${version}.ServerReflection`,
  );
  return new ServerReflection(url, credentials) as DynamicClient;
}

export function unary<Response>(
  client: DynamicClient,
  method: string,
  request: unknown,
  options: grpc.CallOptions = {},
): Promise<Response> {
  return new Promise((resolve, reject) => {
    client[method](request, new grpc.Metadata(), options, (error: grpc.ServiceError | null, response: Response) =>
      error ? reject(error) : resolve(response),
    );
  });
}

export function sayHello(
  client: DynamicClient,
  request: HelloRequest,
  options?: grpc.CallOptions,
): Promise<HelloReply> {
  return unary<HelloReply>(client, 'SayHello', request, options);
}

/** The error a call ended with; fails when the call succeeded. */
export async function failureOf(call: Promise<unknown>): Promise<grpc.ServiceError> {
  try {
    await call;
  } catch (error) {
    return error as grpc.ServiceError;
  }
  throw new Error('expected the call to fail');
}

/** SayHello with a request body written byte by byte, e.g. a name that is not UTF-8. */
export function sayHelloRaw(client: DynamicClient, body: Buffer): Promise<Buffer> {
  const identity = (buffer: Buffer) => buffer;
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest('/helloworld.Greeter/SayHello', identity, identity, body, (error, response) =>
      error ? reject(error) : resolve(response as Buffer),
    );
  });
}

/** The bytes of a HelloRequest whose name field (1, length-delimited) holds `nameBytes`. */
export function helloRequestBytes(nameBytes: number[]): Buffer {
  if (nameBytes.length > 127) throw new Error('one-byte length only');
  return Buffer.from([0x0a, nameBytes.length, ...nameBytes]);
}

export interface CallOutcome<T> {
  readonly messages: T[];
  readonly status: grpc.StatusObject;
}

/** Everything a streaming call received and the status it ended with. */
export function outcomeOf<T>(
  call: grpc.ClientReadableStream<T> | grpc.ClientDuplexStream<unknown, T>,
): Promise<CallOutcome<T>> {
  const messages: T[] = [];
  call.on('data', (message: T) => messages.push(message));
  // A failed call also emits 'error'; 'status' carries the same code and is always emitted.
  call.on('error', () => undefined);
  return new Promise((resolve) => call.on('status', (status: grpc.StatusObject) => resolve({ messages, status })));
}

/** The next message of a stream, or a rejection if none arrives in time. */
export function nextMessage<T>(call: NodeJS.EventEmitter, timeoutMs = 5_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      call.off('data', onData);
      reject(new Error(`no message within ${timeoutMs} ms`));
    }, timeoutMs);
    const onData = (message: T) => {
      clearTimeout(timer);
      resolve(message);
    };
    call.once('data', onData);
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

import * as grpc from '@grpc/grpc-js';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A span as an OTLP/JSON export carries it, with the service that exported it. */
export interface ReceivedSpan {
  readonly service: string;
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly name: string;
  /** OTLP SpanKind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  readonly kind: number;
  readonly attributes: Readonly<Record<string, unknown>>;
  /** OTLP status code: 0 unset, 1 ok, 2 error. */
  readonly statusCode: number;
}

export const SPAN_KIND = { internal: 1, server: 2, client: 3, producer: 4, consumer: 5 } as const;

type AnyValue = { stringValue?: string; intValue?: string | number; boolValue?: boolean; doubleValue?: number };
type KeyValue = { key: string; value: AnyValue };

function valueOf(value: AnyValue): unknown {
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  return value.boolValue;
}

function attributesOf(list: KeyValue[] | undefined): Record<string, unknown> {
  return Object.fromEntries((list ?? []).map(({ key, value }) => [key, valueOf(value)]));
}

/**
 * An OpenTelemetry collector for tests: OTLP over HTTP (`/v1/traces`, JSON decoded into spans,
 * protobuf kept as raw bodies) and, on request, OTLP over gRPC (raw bodies).
 */
export class OtlpReceiver {
  readonly spans: ReceivedSpan[] = [];
  /** Raw bodies of protobuf exports, over HTTP or gRPC, with the transport they came by. */
  readonly rawExports: { transport: 'http' | 'grpc'; contentType: string; body: Buffer }[] = [];
  private grpcServer?: grpc.Server;

  private constructor(
    private readonly server: Server,
    readonly httpUrl: string,
  ) {}

  static async start(): Promise<OtlpReceiver> {
    // Set once the server listens; the request handler above it reads it.
    // eslint-disable-next-line prefer-const
    let receiver: OtlpReceiver | undefined;
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const body = Buffer.concat(chunks);
        const contentType = String(request.headers['content-type'] ?? '');
        if (request.url !== '/v1/traces') {
          response.writeHead(404).end();
          return;
        }
        if (contentType.includes('json')) receiver?.acceptJson(JSON.parse(body.toString('utf8')));
        else receiver?.rawExports.push({ transport: 'http', contentType, body });
        response.writeHead(200, { 'content-type': contentType.includes('json') ? 'application/json' : contentType });
        response.end(contentType.includes('json') ? '{}' : undefined);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    receiver = new OtlpReceiver(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return receiver;
  }

  /** Also listens for OTLP/gRPC (TraceService/Export); resolves with its `http://host:port` endpoint. */
  async startGrpc(): Promise<string> {
    const identity = (buffer: Buffer) => buffer;
    const server = new grpc.Server();
    server.addService(
      {
        Export: {
          path: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
          requestStream: false,
          responseStream: false,
          requestSerialize: identity,
          requestDeserialize: identity,
          responseSerialize: identity,
          responseDeserialize: identity,
        },
      },
      {
        Export: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
          this.rawExports.push({ transport: 'grpc', contentType: 'application/grpc', body: call.request });
          // An empty ExportTraceServiceResponse: everything accepted.
          callback(null, Buffer.alloc(0));
        },
      },
    );
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) =>
        error ? reject(error) : resolve(bound),
      ),
    );
    this.grpcServer = server;
    return `http://127.0.0.1:${port}`;
  }

  /** The spans of one trace received so far. */
  trace(traceId: string): ReceivedSpan[] {
    return this.spans.filter((span) => span.traceId === traceId);
  }

  /** Whether a protobuf export (of `transport`) carried the trace id, as its 16 raw bytes. */
  rawExportCarries(transport: 'http' | 'grpc', traceId: string): boolean {
    const id = Buffer.from(traceId, 'hex');
    return this.rawExports.some((entry) => entry.transport === transport && entry.body.includes(id));
  }

  async close(): Promise<void> {
    this.grpcServer?.forceShutdown();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private acceptJson(request: {
    resourceSpans?: {
      resource?: { attributes?: KeyValue[] };
      scopeSpans?: {
        spans?: {
          traceId: string;
          spanId: string;
          parentSpanId?: string;
          name: string;
          kind: number;
          attributes?: KeyValue[];
          status?: { code?: number };
        }[];
      }[];
    }[];
  }): void {
    for (const resourceSpans of request.resourceSpans ?? []) {
      const service = String(attributesOf(resourceSpans.resource?.attributes)['service.name'] ?? '');
      for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
        for (const span of scopeSpans.spans ?? []) {
          this.spans.push({
            service,
            traceId: span.traceId,
            spanId: span.spanId,
            parentSpanId: span.parentSpanId || undefined,
            name: span.name,
            kind: span.kind,
            attributes: attributesOf(span.attributes),
            statusCode: span.status?.code ?? 0,
          });
        }
      }
    }
  }
}

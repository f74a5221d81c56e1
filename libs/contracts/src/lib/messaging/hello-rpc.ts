import { z } from 'zod';
import type { HelloRequest } from '../grpc/grpc-types';
import { HelloRequestSchema } from '../grpc/hello-request';

/**
 * SayHello over RabbitMQ request/reply (`Topology.helloRpcQueue`). A request is an AMQP message with
 * `reply_to` and `correlation_id`; its body is JSON `{"name": "..."}` (`application/json`) or a
 * plain-text body that is the name itself (what RabbitMQ's tutorial client sends). It may carry an
 * `expiration` and `MessageHeaders.deadline`. The reply goes to `reply_to` on the default exchange with the
 * same `correlation_id`, content type `application/json`: a HelloRpcReply or a HelloRpcErrorReply
 * (then also `MessageHeaders.errorCode`).
 */
export const HELLO_RPC_TYPE = 'helloworld.Greeter.SayHello';

/**
 * The JSON body of a `hello.rpc` request: the gRPC HelloRequest, as loose as proto's `string name`.
 * The rules of a name (HelloNameSchema) are the greeter's to check: a request that breaks them is
 * a valid request, answered with an `INVALID_ARGUMENT` error reply naming the field.
 */
export const HelloRpcRequestSchema = z
  .object({
    name: z.string().meta({
      description:
        'Who to greet. A name that is blank, longer than 256 characters or holds control characters ' +
        'is answered with an INVALID_ARGUMENT error reply naming it.',
    }),
  })
  .meta({ title: 'HelloRequest', description: HelloRequestSchema.description });

/** A successful reply: the same shape as the gRPC HelloReply. */
export const HelloRpcReplySchema = z
  .object({ message: z.string().meta({ description: 'The greeting, e.g. "Hello, world!".' }) })
  .meta({ title: 'HelloReply', description: 'The reply to a SayHello request.' });

export type HelloRpcReply = z.infer<typeof HelloRpcReplySchema>;

/** The gRPC status names an error reply can carry, as grpc-js and the gRPC spec spell them. */
export const HELLO_RPC_ERROR_CODES = [
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
] as const;

/**
 * An error reply. `code` is the name of the gRPC status the same failure has over gRPC (e.g.
 * `INVALID_ARGUMENT`), `message` the same text as its status details.
 */
export const HelloRpcErrorReplySchema = z
  .object({
    error: z.object({
      code: z.enum(HELLO_RPC_ERROR_CODES).meta({ description: 'The gRPC status name of the same failure.' }),
      message: z.string().meta({ description: 'The same text as the gRPC status details, naming the field.' }),
    }),
  })
  .meta({
    title: 'HelloErrorReply',
    description: 'A SayHello request that failed; also in header x-hello-error-code.',
  });

export type HelloRpcErrorReply = z.infer<typeof HelloRpcErrorReplySchema>;

/** The request a body decodes to: a JSON object as it is, a text body as the name. */
export function helloRpcRequestOf(body: unknown): Partial<HelloRequest> {
  if (typeof body === 'string') return { name: body };
  if (typeof body === 'object' && body !== null && !Array.isArray(body)) return body as Partial<HelloRequest>;
  return {};
}

import type { HelloReply, HelloRequest } from '../grpc/grpc-types';

/**
 * SayHello over RabbitMQ request/reply (`Topology.helloRpcQueue`). A request is an AMQP message with
 * `reply_to` and `correlation_id`; its body is JSON `{"name": "..."}` (`application/json`) or a
 * plain-text body that is the name itself (what RabbitMQ's tutorial client sends). It may carry an
 * `expiration` and `MessageHeaders.deadline`. The reply goes to `reply_to` on the default exchange with the
 * same `correlation_id`, content type `application/json`: a HelloRpcReply or a HelloRpcErrorReply
 * (then also `MessageHeaders.errorCode`).
 */
export const HELLO_RPC_TYPE = 'helloworld.Greeter.SayHello';

/** A successful reply: the same shape as the gRPC HelloReply. */
export type HelloRpcReply = HelloReply;

/**
 * An error reply. `code` is the name of the gRPC status the same failure has over gRPC (e.g.
 * `INVALID_ARGUMENT`), `message` the same text as its status details.
 */
export interface HelloRpcErrorReply {
  readonly error: { readonly code: string; readonly message: string };
}

/** The request a body decodes to: a JSON object as it is, a text body as the name. */
export function helloRpcRequestOf(body: unknown): Partial<HelloRequest> {
  if (typeof body === 'string') return { name: body };
  if (typeof body === 'object' && body !== null && !Array.isArray(body)) return body as Partial<HelloRequest>;
  return {};
}

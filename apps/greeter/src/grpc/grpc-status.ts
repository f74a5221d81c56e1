import { status } from '@grpc/grpc-js';
import { RpcException } from '@nestjs/microservices';

/** What grpc-js turns into the status of a call: `code` and `details`. */
export interface GrpcStatus {
  readonly code: status;
  readonly details: string;
}

// Every stable error code the greeter raises, and the status a caller sees for it.
const STATUS_OF_CODE: ReadonlyMap<string, status> = new Map([
  ['invalid-message', status.INVALID_ARGUMENT],
  ['message-too-large', status.RESOURCE_EXHAUSTED],
  ['unknown-service', status.NOT_FOUND],
  ['events-unavailable', status.UNAVAILABLE],
]);

/** Said for anything unexpected; the error itself is logged, never sent. */
export const INTERNAL_STATUS: GrpcStatus = { code: status.INTERNAL, details: 'Internal error' };

/**
 * The status for an error that carries a known stable `code` (or an RpcException that already
 * names a gRPC status); undefined for anything else, which callers must treat as a bug.
 */
export function grpcStatusOf(error: unknown): GrpcStatus | undefined {
  if (error instanceof RpcException) {
    const inner = error.getError();
    if (typeof inner === 'object' && inner !== null && Number.isInteger((inner as { code?: unknown }).code)) {
      const { code, message } = inner as { code: status; message?: unknown };
      return { code, details: typeof message === 'string' ? message : '' };
    }
    return undefined;
  }
  if (error instanceof Error) {
    const code = (error as Error & { code?: unknown }).code;
    const mapped = typeof code === 'string' ? STATUS_OF_CODE.get(code) : undefined;
    if (mapped !== undefined) return { code: mapped, details: error.message };
  }
  return undefined;
}

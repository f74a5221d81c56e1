import { status } from '@grpc/grpc-js';
import { RpcException } from '@nestjs/microservices';
import { INTERNAL_ERROR_STATUS, statusOfError, type ErrorStatus } from '../shared/error-status';

/** What grpc-js turns into the status of a call: `code` and `details`. */
export type GrpcStatus = ErrorStatus;

/** Said for anything unexpected; the error itself is logged, never sent. */
export const INTERNAL_STATUS: GrpcStatus = INTERNAL_ERROR_STATUS;

/**
 * The status for an error that carries a known stable `code` (see statusOfError, shared with the AMQP
 * transport) or an RpcException that already names a gRPC status; undefined for anything else, which
 * callers must treat as a bug.
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
  return statusOfError(error);
}

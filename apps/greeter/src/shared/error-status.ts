import { status } from '@grpc/grpc-js';

/**
 * THE mapping of the greeter's errors to what a caller sees, for every transport: gRPC sends `code`
 * as the call's status and `details` as its message; the AMQP request/reply transport sends the
 * status name (`statusName(code)`, e.g. `INVALID_ARGUMENT`) and the same `details` in its error reply.
 */
export interface ErrorStatus {
  readonly code: status;
  readonly details: string;
}

// Every stable error code the greeter raises (ContractViolation codes, UndecodableBody reasons of a
// request body, its own errors), and the status a caller sees for it.
const STATUS_OF_CODE: ReadonlyMap<string, status> = new Map([
  ['invalid-message', status.INVALID_ARGUMENT],
  ['malformed-json', status.INVALID_ARGUMENT],
  ['unsupported-content-type', status.INVALID_ARGUMENT],
  ['message-too-large', status.RESOURCE_EXHAUSTED],
  ['unknown-service', status.NOT_FOUND],
  ['events-unavailable', status.UNAVAILABLE],
]);

/** Said for anything unexpected; the error itself is logged, never sent. */
export const INTERNAL_ERROR_STATUS: ErrorStatus = { code: status.INTERNAL, details: 'Internal error' };

/** The status of an error with a known stable `code` (or body `reason`); undefined for anything else. */
export function statusOfError(error: unknown): ErrorStatus | undefined {
  if (!(error instanceof Error)) return undefined;
  const { code, reason } = error as Error & { code?: unknown; reason?: unknown };
  const key = typeof code === 'string' ? code : typeof reason === 'string' ? reason : undefined;
  const mapped = key !== undefined ? STATUS_OF_CODE.get(key) : undefined;
  return mapped === undefined ? undefined : { code: mapped, details: error.message };
}

/** The name of a gRPC status code, as grpc-js and the gRPC spec spell it (`INVALID_ARGUMENT`). */
export function statusName(code: status): string {
  return status[code] ?? 'UNKNOWN';
}

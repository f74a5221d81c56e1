import { MessagingError } from '../errors';

/** No reply came within the call's timeout (the request carried the same `expiration`). */
export class RpcTimeoutError extends MessagingError {
  readonly code = 'rpc-timeout' as const;
  constructor(
    readonly queue: string,
    readonly timeoutMs: number,
  ) {
    super(`no reply from '${queue}' within ${timeoutMs} ms`);
    this.name = 'RpcTimeoutError';
  }
}

/**
 * The request could not be sent or its reply can no longer arrive: not connected to the broker, the
 * broker nacked or returned the request, or the channel the reply was due on closed.
 */
export class RpcUnavailableError extends MessagingError {
  readonly code = 'rpc-unavailable' as const;
  constructor(
    readonly queue: string,
    reason: string,
  ) {
    super(`request to '${queue}' failed: ${reason}`);
    this.name = 'RpcUnavailableError';
  }
}

/** The server answered with an error reply (`{"error": {"code", "message"}}`). */
export class RpcErrorReply extends MessagingError {
  readonly code = 'rpc-error-reply' as const;
  constructor(
    /** The server's stable code, e.g. `INVALID_ARGUMENT`. */
    readonly replyCode: string,
    message: string,
  ) {
    super(message);
    this.name = 'RpcErrorReply';
  }
}

import { Logger } from '@nestjs/common';
import { ServerGrpc, type GrpcOptions } from '@nestjs/microservices';
import type { sendUnaryData, Server, ServerUnaryCall } from '@grpc/grpc-js';
import { isObservable } from 'rxjs';

type NestHandler = (request: unknown, metadata: unknown, call: unknown) => unknown;
type UnaryMethod = (call: unknown, callback: unknown) => unknown;

/**
 * ServerGrpc whose unary methods answer directly and whose close() drains.
 *
 * Unary: Nest's own unary path copies the call object, wraps every result in an observable and
 * subscribes to it, for every call. Here a handler's value (or the value its Promise resolves to) is
 * passed straight to grpc-js. What reaches the handler is unchanged: Nest's context (guards, pipes,
 * interceptors, exception filters) still wraps it, and an error still arrives as the observable the
 * exception filter returns, which is subscribed to exactly as Nest does, so errors map to the same
 * status codes. Deadlines and cancellation stay with grpc-js, as in Nest's path. When processing
 * hooks are installed (instrumentation), Nest's own path is used so that they see every call.
 *
 * Drain: it stops accepting calls, lets the calls in flight finish
 * for up to `graceMs`, then cuts off whatever is left. (Nest's own close() either cuts off at
 * once or, with `gracefulShutdown`, waits with no limit for calls that may never end.)
 */
export class DrainingServerGrpc extends ServerGrpc {
  private readonly drainLogger = new Logger(DrainingServerGrpc.name);
  private cutOff?: () => void;

  constructor(
    options: GrpcOptions['options'],
    private readonly graceMs: number,
  ) {
    super(options);
  }

  private hooked = false;

  override setOnProcessingStartHook(...args: Parameters<ServerGrpc['setOnProcessingStartHook']>): void {
    this.hooked = true;
    super.setOnProcessingStartHook(...args);
  }

  override setOnProcessingEndHook(...args: Parameters<ServerGrpc['setOnProcessingEndHook']>): void {
    this.hooked = true;
    super.setOnProcessingEndHook(...args);
  }

  override createUnaryServiceMethod(methodHandler: NestHandler): UnaryMethod {
    // Hooks may be installed after the services are bound, so the choice is made per call.
    const nestPath = super.createUnaryServiceMethod(methodHandler) as UnaryMethod;
    return (call, callback) => {
      if (this.hooked) return nestPath(call, callback);
      answerUnary(methodHandler, call as ServerUnaryCall<unknown, unknown>, callback as sendUnaryData<unknown>);
      return undefined;
    };
  }

  private closing?: Promise<void>;

  /** Stops taking calls at once and resolves when the calls in flight ended; the same drain when called again. */
  override close(): Promise<void> {
    this.closing ??= this.drain();
    return this.closing;
  }

  private async drain(): Promise<void> {
    const server = this.grpcClient as Server | null;
    if (!server) return;
    this.grpcClient = null;
    await new Promise<void>((resolve) => {
      const finish = () => {
        clearTimeout(deadline);
        this.cutOff = undefined;
        resolve();
      };
      const cutOff = () => {
        server.forceShutdown();
        finish();
      };
      const deadline = setTimeout(() => {
        this.drainLogger.warn(`calls still in flight after ${this.graceMs} ms: cutting them off`);
        cutOff();
      }, this.graceMs);
      this.cutOff = cutOff;
      server.tryShutdown(finish);
    });
  }

  /** Cuts off the calls still in flight now instead of at the end of the grace period. */
  forceClose(): void {
    if (this.cutOff) this.cutOff();
    else (this.grpcClient as Server | null)?.forceShutdown();
  }
}

function answerUnary(
  methodHandler: NestHandler,
  call: ServerUnaryCall<unknown, unknown>,
  callback: sendUnaryData<unknown>,
): void {
  let result: unknown;
  try {
    result = methodHandler(call.request, call.metadata, call);
  } catch (error) {
    callback(error as Error);
    return;
  }
  if (isThenable(result))
    result.then(
      (value) => answerWith(value, callback),
      (error: Error) => callback(error),
    );
  else answerWith(result, callback);
}

/** A plain value is the reply; an observable (a filtered error, or a handler's own) is handled as Nest does. */
function answerWith(value: unknown, callback: sendUnaryData<unknown>): void {
  if (!isObservable(value)) {
    callback(null, value);
    return;
  }
  value.subscribe({
    next: (data) => {
      if (isThenable(data))
        data.then(
          (resolved) => callback(null, resolved),
          (error: Error) => callback(error),
        );
      else callback(null, data);
    },
    error: (error: Error) => callback(error),
  });
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === 'function';
}

import { applyDecorators, Catch, RpcExceptionFilter, UseFilters } from '@nestjs/common';
import { EventPattern } from '@nestjs/microservices';
import { Observable, throwError } from 'rxjs';

/** Turns a decoded payload into what the handler receives; throws ContractViolation to reject it. */
export type PayloadDecoder<T = unknown> = (payload: unknown) => T;

/** Extras of an `@EventPattern` that AmqpServer understands. */
export interface AmqpPatternExtras {
  /** Validates and converts the payload before the handler runs; a ContractViolation dead-letters it. */
  readonly decode?: PayloadDecoder;
}

/**
 * Nest's default RPC exception filter replaces any error that is not an RpcException by
 * `{ status: 'error', message: 'Internal server error' }`. AmqpServer needs the error itself to apply
 * its policy (a ContractViolation dead-letters at once, other errors retry) and to write it into the
 * dead-letter headers, so this filter hands every error on unchanged.
 */
@Catch()
export class KeepOriginalErrorFilter implements RpcExceptionFilter<unknown> {
  catch(exception: unknown): Observable<never> {
    return throwError(() => exception);
  }
}

/**
 * `@EventPattern(type, { decode })` plus KeepOriginalErrorFilter: the way to declare an AMQP message
 * handler. `type` is the AMQP `type` property the handler receives (e.g. `hello.message.v1`).
 */
export function AmqpPattern(type: string, extras: AmqpPatternExtras = {}): MethodDecorator {
  return applyDecorators(EventPattern<string>(type, { ...extras }), UseFilters(KeepOriginalErrorFilter));
}

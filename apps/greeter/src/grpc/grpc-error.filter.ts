import { Catch, Logger, type ArgumentsHost, type RpcExceptionFilter } from '@nestjs/common';
import { throwError, type Observable } from 'rxjs';
import { grpcStatusOf, INTERNAL_STATUS, type GrpcStatus } from './grpc-status';

/** Turns every error a handler raises into a gRPC status: known codes as such, the rest INTERNAL. */
@Catch()
export class GrpcErrorFilter implements RpcExceptionFilter<unknown> {
  private readonly logger = new Logger(GrpcErrorFilter.name);

  catch(exception: unknown, host: ArgumentsHost): Observable<never> {
    const known = grpcStatusOf(exception);
    if (known) return throwError(() => known);
    const call = host.getArgByIndex(2) as { getPath?: () => string } | undefined;
    const method = call?.getPath?.() ?? 'unknown method';
    const error = exception instanceof Error ? exception : new Error(String(exception));
    this.logger.error(`unexpected error in ${method}: ${error.message}`, error.stack);
    return throwError((): GrpcStatus => INTERNAL_STATUS);
  }
}

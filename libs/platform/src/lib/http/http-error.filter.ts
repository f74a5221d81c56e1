import type { ArgumentsHost, ExceptionFilter } from '@nestjs/common';
import type { Response } from 'express';

/** The JSON body of every error the apps' HTTP APIs answer. */
export interface HttpErrorBody {
  readonly statusCode: number;
  /** Stable code, e.g. `invalid-message`, `publish-timeout`, `greeting-not-found`. */
  readonly error: string;
  readonly message: string;
  /** The field a ContractViolation names, when it names one. */
  readonly field?: string;
}

/** How an app answers one of its errors: the body, and headers to set (e.g. `Retry-After`). */
export interface HttpErrorReply {
  readonly body: HttpErrorBody;
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * The one way the apps answer their errors over HTTP: a subclass says which errors it catches
 * (`@Catch(...)`) and maps each to a reply, once; this writes the status, headers and JSON body.
 */
export abstract class HttpErrorFilter<E = unknown> implements ExceptionFilter<E> {
  protected abstract reply(error: E): HttpErrorReply;

  catch(error: E, host: ArgumentsHost): void {
    const { body, headers = {} } = this.reply(error);
    const response = host.switchToHttp().getResponse<Response>();
    for (const [name, value] of Object.entries(headers)) response.setHeader(name, value);
    response.status(body.statusCode).json(body);
  }
}

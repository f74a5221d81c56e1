import { type ArgumentsHost, Catch, type ExceptionFilter, HttpStatus } from '@nestjs/common';
import type { Response } from 'express';
import { GreetingNotFound } from './get-greeting.query';

/** The JSON body of every error the HTTP API answers (the producer's shape). */
export interface HttpErrorBody {
  readonly statusCode: number;
  /** Stable code, e.g. `greeting-not-found`. */
  readonly error: string;
  readonly message: string;
}

/** Maps the app's errors to HTTP statuses, once. */
@Catch(GreetingNotFound)
export class HttpErrorFilter implements ExceptionFilter {
  catch(error: GreetingNotFound, host: ArgumentsHost): void {
    const body: HttpErrorBody = { statusCode: HttpStatus.NOT_FOUND, error: error.code, message: error.message };
    host.switchToHttp().getResponse<Response>().status(body.statusCode).json(body);
  }
}

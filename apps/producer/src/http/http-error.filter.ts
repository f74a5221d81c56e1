import {
  ArgumentsHost,
  Catch,
  ExceptionFilter,
  HttpStatus,
  Logger,
} from '@nestjs/common';
import type { Response } from 'express';
import { ContractViolation } from '@hello/contracts';
import { MessagingError } from '@hello/messaging';

/** The JSON body of every error the producer answers. */
export interface HttpErrorBody {
  readonly statusCode: number;
  /** Stable code, e.g. `invalid-message`, `message-too-large`, `publish-timeout`. */
  readonly error: string;
  readonly message: string;
  readonly field?: string;
}

/** Maps the errors of the project to HTTP statuses, once. */
@Catch(ContractViolation, MessagingError)
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger(HttpErrorFilter.name);

  catch(error: ContractViolation | MessagingError, host: ArgumentsHost): void {
    const status = statusOf(error);
    if (status >= 500) this.logger.warn(`${error.code}: ${error.message}`);
    const body: HttpErrorBody = {
      statusCode: status,
      error: error.code,
      message: error.message,
      ...(error instanceof ContractViolation && error.field
        ? { field: error.field }
        : {}),
    };
    host.switchToHttp().getResponse<Response>().status(status).json(body);
  }
}

function statusOf(error: ContractViolation | MessagingError): number {
  if (error instanceof ContractViolation) {
    return error.code === 'message-too-large'
      ? HttpStatus.PAYLOAD_TOO_LARGE
      : HttpStatus.BAD_REQUEST;
  }
  switch (error.code) {
    case 'publish-timeout':
    case 'broker-unreachable':
    case 'unroutable':
      return HttpStatus.SERVICE_UNAVAILABLE;
    default:
      return HttpStatus.INTERNAL_SERVER_ERROR;
  }
}

import {
  ArgumentsHost,
  Catch,
  ExceptionFilter,
  HttpStatus,
  Inject,
  Logger,
} from '@nestjs/common';
import type { Response } from 'express';
import { ContractViolation } from '@hello/contracts';
import { MessagingError, RateLimitedLog, RpcErrorReply } from '@hello/messaging';
import { PRODUCER_CONFIG, ProducerConfig } from '../config/producer.config';

/** The JSON body of every error the producer answers. */
export interface HttpErrorBody {
  readonly statusCode: number;
  /**
   * Stable code, e.g. `invalid-message`, `message-too-large`, `publish-timeout`, `rpc-timeout`; for an
   * error reply of the greeter, its status name (e.g. `INVALID_ARGUMENT`).
   */
  readonly error: string;
  readonly message: string;
  readonly field?: string;
}

/** Maps the errors of the project to HTTP statuses, once. */
@Catch(ContractViolation, MessagingError)
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger(HttpErrorFilter.name);
  // During an outage every request fails the same way: one line per window, not one per request.
  private readonly log = new RateLimitedLog(this.logger);

  constructor(
    @Inject(PRODUCER_CONFIG) private readonly config: ProducerConfig,
  ) {}

  catch(error: ContractViolation | MessagingError, host: ArgumentsHost): void {
    const status = statusOf(error);
    const response = host.switchToHttp().getResponse<Response>();
    if (status >= 500) {
      this.log.warn(
        `${error.code}: ${error.message.replace(/\b[0-9a-f]{8}-[0-9a-f-]{27}\b/g, '<id>')}`,
        `${error.code}: ${error.message}`,
      );
    }
    if (status === HttpStatus.SERVICE_UNAVAILABLE) {
      response.setHeader('Retry-After', String(this.config.retryAfterSeconds));
    }
    const body: HttpErrorBody = {
      statusCode: status,
      error: error instanceof RpcErrorReply ? error.replyCode : error.code,
      message: error.message,
      ...(error instanceof ContractViolation && error.field
        ? { field: error.field }
        : {}),
    };
    response.status(status).json(body);
  }
}

function statusOf(error: ContractViolation | MessagingError): number {
  if (error instanceof ContractViolation) {
    return error.code === 'message-too-large'
      ? HttpStatus.PAYLOAD_TOO_LARGE
      : HttpStatus.BAD_REQUEST;
  }
  if (error instanceof RpcErrorReply) {
    return STATUS_OF_REPLY_CODE[error.replyCode] ?? HttpStatus.BAD_GATEWAY;
  }
  switch (error.code) {
    case 'rpc-timeout':
      return HttpStatus.GATEWAY_TIMEOUT;
    case 'rpc-unavailable':
    case 'publish-timeout':
    case 'broker-unreachable':
    case 'broker-unavailable':
    case 'unroutable':
      return HttpStatus.SERVICE_UNAVAILABLE;
    default:
      return HttpStatus.INTERNAL_SERVER_ERROR;
  }
}

// The greeter's error replies carry gRPC status names; anything else it answers is its own failure.
const STATUS_OF_REPLY_CODE: Readonly<Record<string, number>> = {
  INVALID_ARGUMENT: HttpStatus.BAD_REQUEST,
  RESOURCE_EXHAUSTED: HttpStatus.PAYLOAD_TOO_LARGE,
};

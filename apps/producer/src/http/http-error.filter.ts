import { Catch, HttpStatus, Inject, Logger } from '@nestjs/common';
import { ContractViolation } from '@hello/contracts';
import { MessagingError, RateLimitedLog, RpcErrorReply } from '@hello/messaging';
import { HttpErrorFilter, type HttpErrorReply } from '@hello/platform';
import { PRODUCER_CONFIG, ProducerConfig } from '../config/producer.config';

/**
 * Maps the errors of the project to HTTP statuses, once. The `error` of the body is the error's
 * stable code (e.g. `invalid-message`, `message-too-large`, `publish-timeout`, `rpc-timeout`); for an
 * error reply of the greeter, its status name (e.g. `INVALID_ARGUMENT`).
 */
@Catch(ContractViolation, MessagingError)
export class ProducerHttpErrorFilter extends HttpErrorFilter<ContractViolation | MessagingError> {
  private readonly logger = new Logger(ProducerHttpErrorFilter.name);
  // During an outage every request fails the same way: one line per window, not one per request.
  private readonly log = new RateLimitedLog(this.logger);

  constructor(@Inject(PRODUCER_CONFIG) private readonly config: ProducerConfig) {
    super();
  }

  protected reply(error: ContractViolation | MessagingError): HttpErrorReply {
    const status = statusOf(error);
    if (status >= 500) {
      this.log.warn(
        `${error.code}: ${error.message.replace(/\b[0-9a-f]{8}-[0-9a-f-]{27}\b/g, '<id>')}`,
        `${error.code}: ${error.message}`,
      );
    }
    return {
      body: {
        statusCode: status,
        error: error instanceof RpcErrorReply ? error.replyCode : error.code,
        message: error.message,
        ...(error instanceof ContractViolation && error.field ? { field: error.field } : {}),
      },
      ...(status === HttpStatus.SERVICE_UNAVAILABLE
        ? { headers: { 'Retry-After': String(this.config.retryAfterSeconds) } }
        : {}),
    };
  }
}
function statusOf(error: ContractViolation | MessagingError): number {
  if (error instanceof ContractViolation) {
    return error.code === 'message-too-large' ? HttpStatus.PAYLOAD_TOO_LARGE : HttpStatus.BAD_REQUEST;
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

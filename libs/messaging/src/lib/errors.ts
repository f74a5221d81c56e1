/** Stable codes of the errors this library throws; map them once to HTTP statuses or log fields. */
export type MessagingErrorCode =
  | 'invalid-config'
  | 'broker-unreachable'
  | 'broker-unavailable'
  | 'access-refused'
  | 'argument-mismatch'
  | 'publish-timeout'
  | 'unroutable'
  | 'rpc-timeout'
  | 'rpc-unavailable'
  | 'rpc-error-reply';

/** Base of every error this library throws: a stable `code` and the context needed to act on it. */
export abstract class MessagingError extends Error {
  abstract readonly code: MessagingErrorCode;
}

/** An environment variable (or option) has a value the library cannot use. */
export class InvalidConfigError extends MessagingError {
  readonly code = 'invalid-config' as const;
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = 'InvalidConfigError';
  }
}

/** No connection to the broker could be made within the allowed time. */
export class BrokerUnreachableError extends MessagingError {
  readonly code = 'broker-unreachable' as const;
  constructor(
    readonly url: string,
    readonly timeoutMs: number,
    readonly lastError?: Error,
  ) {
    super(
      `could not connect to RabbitMQ at ${url} within ${timeoutMs} ms` + (lastError ? `: ${lastError.message}` : ''),
    );
    this.name = 'BrokerUnreachableError';
  }
}

/**
 * Refused at once, without waiting: the last attempt to connect to the broker failed, so a publish
 * now would only wait out its timeout. Answer 503 with Retry-After.
 */
export class BrokerUnavailableError extends MessagingError {
  readonly code = 'broker-unavailable' as const;
  constructor(
    readonly url: string,
    readonly lastError?: Error,
  ) {
    super(
      `not connected to RabbitMQ at ${url}` +
        (lastError ? ` (${lastError.message})` : '') +
        '; reconnecting in the background, retry later',
    );
    this.name = 'BrokerUnavailableError';
  }
}

/**
 * The broker refused the publish (403 ACCESS_REFUSED: the user may not write to the exchange, or the
 * vhost is not allowed). Trying again does not help until the permissions change.
 */
export class PublishRefusedError extends MessagingError {
  readonly code = 'access-refused' as const;
  constructor(
    readonly messageId: string,
    readonly exchange: string,
    readonly brokerMessage: string,
  ) {
    super(`message ${messageId} to exchange '${exchange || '(default)'}' was refused by the broker: ${brokerMessage}`);
    this.name = 'PublishRefusedError';
  }
}

/**
 * A queue or exchange already exists with other arguments than the ones declared. RabbitMQ answers
 * such a declaration with PRECONDITION_FAILED (406) "inequivalent arg …" and closes the channel; this
 * error names the argument, what was declared and what exists.
 */
export class ArgumentMismatchError extends MessagingError {
  readonly code = 'argument-mismatch' as const;
  constructor(
    readonly entity: 'queue' | 'exchange',
    readonly entityName: string,
    readonly vhost: string,
    readonly argument: string,
    /** What this application declares (`none` when it does not set the argument). */
    readonly expected: string,
    /** What the existing one has (`none` when it does not have the argument). */
    readonly actual: string,
    readonly brokerMessage: string,
  ) {
    super(
      `${entity} '${entityName}' in vhost '${vhost}' already exists with a different '${argument}': ` +
        `expected ${expected}, but the existing ${entity} has ${actual}. Delete the ${entity} ` +
        `(drain it first) or declare it with the same arguments.`,
    );
    this.name = 'ArgumentMismatchError';
  }
}

/** The broker did not confirm a message within the allowed time (disconnected, blocked, or nacking). */
export class PublishTimeoutError extends MessagingError {
  readonly code = 'publish-timeout' as const;
  constructor(
    readonly messageId: string,
    readonly timeoutMs: number,
    readonly lastError?: Error,
  ) {
    super(
      `message ${messageId} was not confirmed by the broker within ${timeoutMs} ms` +
        (lastError ? ` (last error: ${lastError.message})` : ''),
    );
    this.name = 'PublishTimeoutError';
  }
}

/** A message published as mandatory matched no queue; the broker returned it instead of storing it. */
export class UnroutableMessageError extends MessagingError {
  readonly code = 'unroutable' as const;
  constructor(
    readonly messageId: string,
    readonly exchange: string,
    readonly routingKey: string,
  ) {
    super(
      `message ${messageId} to exchange '${exchange || '(default)'}' with routing key '${routingKey}' ` +
        'matched no queue and was returned by the broker',
    );
    this.name = 'UnroutableMessageError';
  }
}

import { ContractViolation, deadLetterQueueFor, retryQueueFor, type DeathReasonCode } from '@hello/contracts';
import { RetryOptions, retryDelayAfter } from '../config/retry-options';
import { MessagingError, MessagingErrorCode } from '../errors';
import { UndecodableBody } from './decode-body';

/**
 * THE ack / retry / dead-letter policy of every consumer, in one place. The server classifies what
 * happened to a delivery (HandlingOutcome), `decideDelivery` decides, and `Settlement`
 * (settlement.ts) carries it out; nothing else acks, requeues or dead-letters.
 *
 * | outcome                                              | action                                                     |
 * | ---------------------------------------------------- | ---------------------------------------------------------- |
 * | handler succeeded                                    | ack                                                        |
 * | duplicate (messageId already handled by this process)| ack, handler not called                                    |
 * | body not JSON / not UTF-8 (`malformed-json`)         | dead-letter at once                                        |
 * | content type not JSON or text (`unsupported-content-type`) | dead-letter at once                                  |
 * | no handler for the type (`unknown-type`)             | dead-letter at once                                        |
 * | payload breaks its contract (ContractViolation code: `invalid-message`, `message-too-large`, `invalid-event`) | dead-letter at once |
 * | handler threw, tries left                            | copy to the retry queue of this try (delay), then ack      |
 * | handler threw, no tries left (`handler-failed`)      | dead-letter with the last error, then ack                  |
 * | request without `reply_to` (`no-reply-to`, request/reply) | dead-letter at once                                   |
 * | request past its caller's deadline (request/reply)   | ack, handler not called                                    |
 *
 * Copies (retry, dead-letter) are published with a publisher confirm on the delivery's own channel and
 * the original is acked only after that confirm, so a crash in between duplicates a message but never
 * loses one. Nothing is ever nacked with requeue in a loop: a message that crashes the process is
 * redelivered by the broker until the queue's `x-delivery-limit`, then dead-lettered by the broker.
 * The request/reply server (rpc/amqp-rpc-server.ts) settles through the same table with no retries:
 * a handler that throws there is a bug, not a passing failure.
 */
export type HandlingOutcome =
  | { readonly kind: 'handled' }
  | { readonly kind: 'duplicate' }
  | { readonly kind: 'expired' }
  | {
      readonly kind: 'rejected';
      readonly reason: DeathReason;
      readonly detail: string;
    }
  | { readonly kind: 'failed'; readonly error: unknown };

/** Stable codes written to `MessageHeaders.deathReason` (the contract's DEATH_REASONS). */
export type DeathReason = DeathReasonCode;

export type DeliveryAction =
  | { readonly kind: 'ack' }
  | {
      readonly kind: 'retry';
      /** The delay queue the copy goes to; it returns to the work queue after `delayMs`. */
      readonly queue: string;
      readonly delayMs: number;
      /** Tries made so far (written to `MessageHeaders.attempts`). */
      readonly attempts: number;
      readonly detail: string;
    }
  | {
      readonly kind: 'dead-letter';
      readonly queue: string;
      readonly reason: DeathReason;
      readonly detail: string;
      readonly attempts: number;
    };

export interface DeliveryPolicyInput {
  /** The work queue the message came from. */
  readonly queue: string;
  /** Which try this was (1-based). */
  readonly attempt: number;
  readonly retry: RetryOptions;
}

export function decideDelivery(outcome: HandlingOutcome, input: DeliveryPolicyInput): DeliveryAction {
  const { queue, attempt, retry } = input;
  switch (outcome.kind) {
    case 'handled':
    case 'duplicate':
    case 'expired':
      return { kind: 'ack' };
    case 'rejected':
      return {
        kind: 'dead-letter',
        queue: deadLetterQueueFor(queue),
        reason: outcome.reason,
        detail: outcome.detail,
        attempts: attempt,
      };
    case 'failed': {
      const detail = describeError(outcome.error);
      const delayMs = retryDelayAfter(retry, attempt);
      if (delayMs !== undefined) {
        return {
          kind: 'retry',
          queue: retryQueueFor(queue, attempt),
          delayMs,
          attempts: attempt,
          detail,
        };
      }
      return {
        kind: 'dead-letter',
        queue: deadLetterQueueFor(queue),
        reason: 'handler-failed',
        detail,
        attempts: attempt,
      };
    }
  }
}

/**
 * What an error thrown while decoding, dispatching or handling a message means: the message itself is
 * wrong (rejected: dead-letter at once) or handling failed (failed: retry, then dead-letter).
 */
export function outcomeOfError(error: unknown): HandlingOutcome {
  if (error instanceof UndecodableBody) return { kind: 'rejected', reason: error.reason, detail: error.message };
  if (isContractViolation(error)) {
    const detail =
      error.field && !error.message.includes(error.field) ? `${error.field}: ${error.message}` : error.message;
    return { kind: 'rejected', reason: error.code, detail };
  }
  return { kind: 'failed', error };
}

/** Errors a handler throws that mean "this message is wrong", not "try again later". */
export function isContractViolation(error: unknown): error is ContractViolation {
  return (
    error instanceof ContractViolation ||
    (error instanceof Error &&
      error.name === 'ContractViolation' &&
      typeof (error as ContractViolation).code === 'string')
  );
}

const MAX_DETAIL_LENGTH = 1000;

/**
 * The word a dead-letter detail starts with for the library's own errors, saying what happened:
 * `access-refused: …` (the broker refused a publish) is not `not-confirmed: …` (no confirm in time).
 */
const DETAIL_PREFIX: Readonly<Partial<Record<MessagingErrorCode, string>>> = {
  'publish-timeout': 'not-confirmed',
  'access-refused': 'access-refused',
  unroutable: 'unroutable',
  'broker-unavailable': 'broker-unavailable',
};

/**
 * A one-line description of an error for a header, cut to 1000 characters: `code: message` for the
 * messaging library's errors (see DETAIL_PREFIX), `Name: message` for any other.
 */
export function describeError(error: unknown): string {
  let text: string;
  const prefix = error instanceof MessagingError ? DETAIL_PREFIX[error.code] : undefined;
  if (prefix) text = `${prefix}: ${(error as Error).message}`;
  else if (error instanceof Error) text = `${error.name}: ${error.message}`;
  else if (typeof error === 'object' && error !== null && 'message' in error)
    text = String((error as { message: unknown }).message);
  else text = String(error);
  return text.length > MAX_DETAIL_LENGTH ? `${text.slice(0, MAX_DETAIL_LENGTH - 1)}…` : text;
}

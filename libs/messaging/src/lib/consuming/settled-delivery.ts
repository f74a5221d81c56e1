import type { Logger } from '@nestjs/common';
import { RateLimitedLog } from '../logging/rate-limited-log';
import { AmqpContext } from './amqp-context';
import { DeathReason, DeliveryAction, HandlingOutcome } from './delivery-policy';
import { SettlementResult } from './settlement';

/** One settled delivery, reported to `on('settled', …)` listeners (metrics, tests). */
export interface SettledDelivery extends SettlementResult {
  readonly messageId: string;
  readonly pattern: string;
  readonly attempt: number;
  readonly outcome: HandlingOutcome['kind'];
  /** What the policy decided. */
  readonly action: DeliveryAction['kind'];
  readonly reason?: DeathReason;
  readonly durationMs: number;
}

/** Logs how a delivery was settled, where that is worth a line, and returns its SettledDelivery. */
export function reportSettlement(
  logger: Logger,
  log: RateLimitedLog,
  context: AmqpContext,
  outcome: HandlingOutcome,
  action: DeliveryAction,
  { copied, acked }: SettlementResult,
  durationMs: number,
): SettledDelivery {
  const id = context.messageId;
  const what = () => `message ${id} (${context.getPattern() || 'no type'}, try ${context.attempt})`;
  // Keyed on what the lines share (not the message id): a failure that hits every message is
  // written once per window, with a count of the ones held back.
  const same = (line: string) => line.replace(/message \S+ /g, '');
  if (action.kind !== 'ack' && !copied) {
    log.warn(
      `a message failed: ${same(action.detail)}; left unacked for redelivery`,
      `${what()} failed: ${action.detail}; left unacked for redelivery`,
    );
  } else if (action.kind === 'retry') {
    log.warn(
      `a message failed: ${same(action.detail)}; retrying`,
      `${what()} failed: ${action.detail}; retrying in ${action.delayMs} ms`,
    );
  } else if (action.kind === 'dead-letter') {
    logger.warn(`${what()} dead-lettered to '${action.queue}' (${action.reason}): ${action.detail}`);
  } else if (outcome.kind === 'duplicate') {
    logger.log(`${what()} was handled before; acked without handling it again`);
  }
  if (!acked && (action.kind === 'ack' || copied)) {
    logger.warn(`${what()} could not be acked (its channel closed); the broker will redeliver it`);
  }
  return {
    messageId: id,
    pattern: context.getPattern(),
    attempt: context.attempt,
    outcome: outcome.kind,
    action: action.kind,
    copied,
    reason: action.kind === 'dead-letter' ? action.reason : undefined,
    acked,
    durationMs,
  };
}

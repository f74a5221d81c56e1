import { z } from 'zod';
import { MessageHeaders } from './topology';

/**
 * Stable codes of `MessageHeaders.deathReason`: why a message went to its dead-letter queue. The
 * body, properties and other headers of a dead letter are those of the message as it came.
 */
export const DEATH_REASONS = [
  'malformed-json',
  'unsupported-content-type',
  'unknown-type',
  'invalid-message',
  'message-too-large',
  'invalid-event',
  'handler-failed',
  'no-reply-to',
] as const;

export type DeathReasonCode = (typeof DEATH_REASONS)[number];

/** The headers a dead letter carries besides those it came with. */
export const DeadLetterHeadersSchema = z
  .looseObject({
    [MessageHeaders.deathReason]: z.enum(DEATH_REASONS).meta({ description: 'Why it was dead-lettered.' }),
    [MessageHeaders.deathDetail]: z
      .string()
      .meta({ description: 'The validation error naming the field, or the handler’s last error.' }),
    [MessageHeaders.deathAt]: z
      .string()
      .optional()
      .meta({ format: 'date-time', description: 'When (RFC 3339); set by the consumers, not by hello.rpc.' }),
    [MessageHeaders.attempts]: z
      .int()
      .min(0)
      .optional()
      .meta({ description: 'How many times the handler was tried; set by the consumers.' }),
    [MessageHeaders.redriven]: z
      .int()
      .min(1)
      .optional()
      .meta({ description: 'How many times it has been re-driven from its dead-letter queue before.' }),
  })
  .meta({ title: 'DeadLetterHeaders' });

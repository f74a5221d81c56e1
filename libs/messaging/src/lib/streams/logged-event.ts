import { IntegrationEvent, IntegrationEventTypes } from '@hello/contracts';
import type { ConsumeMessage } from 'amqplib';
import { decodeBody } from '../consuming/decode-body';
import { StreamDelivery } from './stream-reader';

/** An integration event read from the event log, or why it could not be read. */
export type LoggedEvent =
  | { readonly offset: number; readonly ok: true; readonly event: IntegrationEvent }
  | {
      readonly offset: number;
      readonly ok: false;
      /** `unknown-type` (no class for its AMQP type and version), or the decoding or validation error's reason. */
      readonly reason: string;
      readonly detail: string;
    };

/**
 * Decodes a delivery of the event log with the same code live consumers use: the body by its content
 * type (`decodeBody`), then the event class of its AMQP `type` validates it (`IntegrationEventTypes`).
 */
export function readLoggedEvent(delivery: StreamDelivery): LoggedEvent {
  const { offset, message } = delivery;
  const type = message.properties.type as string | undefined;
  const eventClass = type ? IntegrationEventTypes[type] : undefined;
  if (!eventClass) {
    return { offset, ok: false, reason: 'unknown-type', detail: `no integration event of type "${type ?? ''}"` };
  }
  try {
    return { offset, ok: true, event: eventClass.parse(decodeBody(message)) };
  } catch (error) {
    // UndecodableBody has a reason (malformed-json …), ContractViolation a code (invalid-event …).
    const { reason, code } = error as { reason?: unknown; code?: unknown };
    const why = typeof reason === 'string' ? reason : typeof code === 'string' ? code : 'invalid-event';
    return { offset, ok: false, reason: why, detail: (error as Error).message };
  }
}

/** When the message was published (its AMQP timestamp, whole seconds), if it says. */
export function publishedAt(message: ConsumeMessage): Date | undefined {
  const seconds: unknown = message.properties.timestamp;
  return typeof seconds === 'number' ? new Date(seconds * 1000) : undefined;
}

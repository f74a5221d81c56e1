import { MAX_MESSAGE_TEXT_BYTES } from '../messaging/hello-message';
import { eventIdField, eventObject, textField, timestampField, toTimestamp } from './event-fields';
import { deriveId } from './event-id';

/** Longest message id the event carries, in bytes (ids are UUIDs or hashes; this is a sanity cap). */
export const MAX_MESSAGE_ID_BYTES = 256;

export interface MessageHandledData {
  readonly eventId: string;
  /** The `messageId` of the message on the `hello` queue that was handled. */
  readonly messageId: string;
  readonly text: string;
  /** RFC 3339 UTC timestamp. */
  readonly handledAt: string;
}

/**
 * `message.handled` v1: the consumer handled a message of the `hello` queue. Its `eventId` is
 * derived from the message id (`MessageHandledIntegrationEvent.eventIdFor`), so handling the same
 * message twice (a redelivery) publishes an event with the same id, which readers de-duplicate.
 */
export class MessageHandledIntegrationEvent implements MessageHandledData {
  static readonly routingKey = 'message.handled';
  static readonly version = 1;
  static readonly type = 'message.handled.v1';

  readonly eventId: string;
  readonly messageId: string;
  readonly text: string;
  readonly handledAt: string;

  /** Validates `data`; throws ContractViolation (`invalid-event`) naming the field. */
  constructor(data: MessageHandledData) {
    const type = MessageHandledIntegrationEvent.type;
    const fields = eventObject(type, data);
    this.eventId = eventIdField(type, fields);
    this.messageId = textField(type, fields, 'messageId', { maxBytes: MAX_MESSAGE_ID_BYTES });
    this.text = textField(type, fields, 'text', { maxBytes: MAX_MESSAGE_TEXT_BYTES });
    this.handledAt = timestampField(type, fields, 'handledAt');
    Object.freeze(this);
  }

  /** The event id every `message.handled` for `messageId` carries. */
  static eventIdFor(messageId: string): string {
    return deriveId(MessageHandledIntegrationEvent.routingKey, messageId);
  }

  /** A new event whose id is derived from the message id. */
  static create(data: { messageId: string; text: string; handledAt?: Date | string }): MessageHandledIntegrationEvent {
    return new MessageHandledIntegrationEvent({
      eventId: MessageHandledIntegrationEvent.eventIdFor(data.messageId),
      messageId: data.messageId,
      text: data.text,
      handledAt: toTimestamp(data.handledAt),
    });
  }

  /** Reads an already parsed JSON body. */
  static parse(value: unknown): MessageHandledIntegrationEvent {
    return new MessageHandledIntegrationEvent(value as MessageHandledData);
  }

  toJSON(): MessageHandledData {
    return {
      eventId: this.eventId,
      messageId: this.messageId,
      text: this.text,
      handledAt: this.handledAt,
    };
  }
}

import type { z } from 'zod';
import { MAX_MESSAGE_TEXT_BYTES } from '../messaging/hello-message';
import {
  ALREADY_CHECKED,
  checkContract,
  checkFields,
  givenFields,
  eventStyle,
  jsonObject,
  normalisedTimestamp,
  textField,
  timestampField,
  toTimestamp,
  uuidField,
} from '../schema/contract-schema';
import { deriveId } from './event-id';

/** Longest message id the event carries, in bytes (ids are UUIDs or hashes; this is a sanity cap). */
export const MAX_MESSAGE_ID_BYTES = 256;

/** The body of `message.handled.v1`, the one definition of it. */
export const MessageHandledV1Schema = jsonObject({
  eventId: uuidField('UUIDv5 derived from the message id: a redelivered message gives the same event id.'),
  messageId: textField({
    maxBytes: MAX_MESSAGE_ID_BYTES,
    description: 'The `messageId` of the message on the `hello` queue that was handled.',
  }),
  text: textField({ maxBytes: MAX_MESSAGE_TEXT_BYTES, description: 'The text of the message.' }),
  handledAt: timestampField('When the consumer handled it (UTC).'),
}).meta({
  title: 'message.handled.v1',
  description: 'The consumer handled a message of the `hello` queue. Unknown fields are ignored.',
});

export type MessageHandledData = Readonly<z.input<typeof MessageHandledV1Schema>>;

const style = eventStyle('message.handled.v1');

/**
 * `message.handled` v1: the consumer handled a message of the `hello` queue. Its `eventId` is
 * derived from the message id (`MessageHandledIntegrationEvent.eventIdFor`), so handling the same
 * message twice (a redelivery) publishes an event with the same id, which readers de-duplicate.
 */
export class MessageHandledIntegrationEvent implements MessageHandledData {
  static readonly routingKey = 'message.handled';
  static readonly version = 1;
  static readonly type = 'message.handled.v1';
  static readonly schema = MessageHandledV1Schema;

  readonly eventId: string;
  readonly messageId: string;
  readonly text: string;
  readonly handledAt: string;

  /** Validates `data` against the schema; throws ContractViolation (`invalid-event`) naming the field. */
  constructor(data: MessageHandledData, checked?: typeof ALREADY_CHECKED) {
    const fields = checked === ALREADY_CHECKED ? data : checkContract(MessageHandledV1Schema, data, style);
    this.eventId = fields.eventId.toLowerCase();
    this.messageId = fields.messageId;
    this.text = fields.text;
    this.handledAt = checked === ALREADY_CHECKED ? fields.handledAt : (normalisedTimestamp(fields.handledAt) as string);
    Object.freeze(this);
  }

  /** The event id every `message.handled` for `messageId` carries. */
  static eventIdFor(messageId: string): string {
    return deriveId(MessageHandledIntegrationEvent.routingKey, messageId);
  }

  /** A new event whose id is derived from the message id. */
  static create(data: { messageId: string; text: string; handledAt?: Date | string }): MessageHandledIntegrationEvent {
    // The message id first: the event id is derived from it.
    checkFields(MessageHandledV1Schema, data, ['messageId', 'text'], style);
    const fields = {
      eventId: MessageHandledIntegrationEvent.eventIdFor(data.messageId),
      messageId: data.messageId,
      text: data.text,
      handledAt: toTimestamp(data.handledAt),
    };
    // The id it derived and the current time are valid; a time it was given is checked.
    checkFields(MessageHandledV1Schema, fields, givenFields(data, ['handledAt']), style);
    return new MessageHandledIntegrationEvent(fields, ALREADY_CHECKED);
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

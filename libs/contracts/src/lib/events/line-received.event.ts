import type { z } from 'zod';
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
import { newEventId } from './event-id';

/**
 * Longest line the event carries, in bytes of UTF-8. A line read as bytes and decoded as UTF-8
 * may grow (each invalid byte becomes U+FFFD, three bytes), so this is well above the line
 * echo's own limit.
 */
export const MAX_LINE_EVENT_BYTES = 256 * 1024;

/** The body of `line.received.v1`, the one definition of it. */
export const LineReceivedV1Schema = jsonObject({
  eventId: uuidField('A fresh UUID per line: two identical lines are two facts.'),
  line: textField({
    maxBytes: MAX_LINE_EVENT_BYTES,
    allowEmpty: true,
    description: 'The line without its terminator, decoded as UTF-8. May be empty.',
  }),
  remoteAddress: textField({ maxBytes: 128, description: 'The peer, `host:port` (IPv6 hosts in brackets).' }),
  receivedAt: timestampField('When the line was received (UTC).'),
}).meta({
  title: 'line.received.v1',
  description: "The event-handler's TCP line echo received a line. Unknown fields are ignored.",
});

export type LineReceivedData = Readonly<z.input<typeof LineReceivedV1Schema>>;

const style = eventStyle('line.received.v1');

/** `line.received` v1: the event-handler's TCP line echo received a line. */
export class LineReceivedIntegrationEvent implements LineReceivedData {
  static readonly routingKey = 'line.received';
  static readonly version = 1;
  static readonly type = 'line.received.v1';
  static readonly schema = LineReceivedV1Schema;

  readonly eventId: string;
  readonly line: string;
  readonly remoteAddress: string;
  readonly receivedAt: string;

  /** Validates `data` against the schema; throws ContractViolation (`invalid-event`) naming the field. */
  constructor(data: LineReceivedData, checked?: typeof ALREADY_CHECKED) {
    const fields = checked === ALREADY_CHECKED ? data : checkContract(LineReceivedV1Schema, data, style);
    this.eventId = fields.eventId.toLowerCase();
    this.line = fields.line;
    this.remoteAddress = fields.remoteAddress;
    this.receivedAt =
      checked === ALREADY_CHECKED ? fields.receivedAt : (normalisedTimestamp(fields.receivedAt) as string);
    Object.freeze(this);
  }

  /** A new event with a fresh random id: two identical lines are two facts. */
  static create(data: {
    line: string;
    remoteAddress: string;
    receivedAt?: Date | string;
    eventId?: string;
  }): LineReceivedIntegrationEvent {
    const fields = {
      eventId: data.eventId ?? newEventId(),
      line: data.line,
      remoteAddress: data.remoteAddress,
      receivedAt: toTimestamp(data.receivedAt),
    };
    // What it made itself (a fresh id, the current time) is valid; what it was given is checked.
    checkFields(
      LineReceivedV1Schema,
      fields,
      givenFields(data, ['eventId', 'line', 'remoteAddress', 'receivedAt']),
      style,
    );
    return new LineReceivedIntegrationEvent(fields, ALREADY_CHECKED);
  }

  /** Reads an already parsed JSON body. */
  static parse(value: unknown): LineReceivedIntegrationEvent {
    return new LineReceivedIntegrationEvent(value as LineReceivedData);
  }

  toJSON(): LineReceivedData {
    return {
      eventId: this.eventId,
      line: this.line,
      remoteAddress: this.remoteAddress,
      receivedAt: this.receivedAt,
    };
  }
}

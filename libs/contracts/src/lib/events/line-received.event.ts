import { eventIdField, eventObject, textField, timestampField, toTimestamp } from './event-fields';
import { newEventId } from './event-id';

/**
 * Longest line the event carries, in bytes of UTF-8. A line read as bytes and decoded as UTF-8
 * may grow (each invalid byte becomes U+FFFD, three bytes), so this is well above the line
 * echo's own limit.
 */
export const MAX_LINE_EVENT_BYTES = 256 * 1024;

export interface LineReceivedData {
  readonly eventId: string;
  /** The line without its terminator, decoded as UTF-8. May be empty. */
  readonly line: string;
  /** The peer, `host:port` (IPv6 hosts in brackets). */
  readonly remoteAddress: string;
  /** RFC 3339 UTC timestamp. */
  readonly receivedAt: string;
}

/** `line.received` v1: the event-handler's TCP line echo received a line. */
export class LineReceivedIntegrationEvent implements LineReceivedData {
  static readonly routingKey = 'line.received';
  static readonly version = 1;
  static readonly type = 'line.received.v1';

  readonly eventId: string;
  readonly line: string;
  readonly remoteAddress: string;
  readonly receivedAt: string;

  /** Validates `data`; throws ContractViolation (`invalid-event`) naming the field. */
  constructor(data: LineReceivedData) {
    const type = LineReceivedIntegrationEvent.type;
    const fields = eventObject(type, data);
    this.eventId = eventIdField(type, fields);
    this.line = textField(type, fields, 'line', { maxBytes: MAX_LINE_EVENT_BYTES, allowEmpty: true });
    this.remoteAddress = textField(type, fields, 'remoteAddress', { maxBytes: 128 });
    this.receivedAt = timestampField(type, fields, 'receivedAt');
    Object.freeze(this);
  }

  /** A new event with a fresh random id: two identical lines are two facts. */
  static create(data: {
    line: string;
    remoteAddress: string;
    receivedAt?: Date | string;
    eventId?: string;
  }): LineReceivedIntegrationEvent {
    return new LineReceivedIntegrationEvent({
      eventId: data.eventId ?? newEventId(),
      line: data.line,
      remoteAddress: data.remoteAddress,
      receivedAt: toTimestamp(data.receivedAt),
    });
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

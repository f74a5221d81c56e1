import { MAX_NAME_LENGTH } from '../grpc/greeting';
import { eventIdField, eventObject, textField, timestampField, toTimestamp } from './event-fields';
import { newEventId } from './event-id';

/** Longest greeting message the event carries, in bytes of UTF-8. */
export const MAX_GREETING_MESSAGE_BYTES = 4096;

export interface GreetingGreetedData {
  readonly eventId: string;
  readonly name: string;
  readonly message: string;
  /** RFC 3339 UTC timestamp. */
  readonly greetedAt: string;
}

/**
 * `greeting.greeted` v1: the greeter answered SayHello for `name`. Published by the greeter to
 * `Topology.eventsExchange` with routing key `greeting.greeted` and AMQP type `greeting.greeted.v1`.
 * Unknown fields are ignored, so v1 may gain optional fields without breaking readers.
 */
export class GreetingGreetedIntegrationEvent implements GreetingGreetedData {
  static readonly routingKey = 'greeting.greeted';
  static readonly version = 1;
  static readonly type = 'greeting.greeted.v1';

  readonly eventId: string;
  readonly name: string;
  readonly message: string;
  readonly greetedAt: string;

  /** Validates `data`; throws ContractViolation (`invalid-event`) naming the field. */
  constructor(data: GreetingGreetedData) {
    const type = GreetingGreetedIntegrationEvent.type;
    const fields = eventObject(type, data);
    this.eventId = eventIdField(type, fields);
    this.name = textField(type, fields, 'name', {
      maxCodePoints: MAX_NAME_LENGTH,
      maxBytes: MAX_NAME_LENGTH * 4,
    });
    this.message = textField(type, fields, 'message', { maxBytes: MAX_GREETING_MESSAGE_BYTES });
    this.greetedAt = timestampField(type, fields, 'greetedAt');
    Object.freeze(this);
  }

  /** A new event with a fresh random id: each greeting is a distinct fact. */
  static create(data: {
    name: string;
    message: string;
    greetedAt?: Date | string;
    eventId?: string;
  }): GreetingGreetedIntegrationEvent {
    return new GreetingGreetedIntegrationEvent({
      eventId: data.eventId ?? newEventId(),
      name: data.name,
      message: data.message,
      greetedAt: toTimestamp(data.greetedAt),
    });
  }

  /** Reads an already parsed JSON body. */
  static parse(value: unknown): GreetingGreetedIntegrationEvent {
    return new GreetingGreetedIntegrationEvent(value as GreetingGreetedData);
  }

  toJSON(): GreetingGreetedData {
    return {
      eventId: this.eventId,
      name: this.name,
      message: this.message,
      greetedAt: this.greetedAt,
    };
  }
}

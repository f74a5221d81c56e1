import type { z } from 'zod';
import { MAX_NAME_LENGTH } from '../grpc/greeting';
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

/** Longest greeting message the event carries, in bytes of UTF-8. */
export const MAX_GREETING_MESSAGE_BYTES = 4096;

/** The body of `greeting.greeted.v1`, the one definition of it. */
export const GreetingGreetedV1Schema = jsonObject({
  eventId: uuidField('A fresh UUID per greeting (derived from the request id when the caller sent one).'),
  name: textField({
    maxCodePoints: MAX_NAME_LENGTH,
    maxBytes: MAX_NAME_LENGTH * 4,
    description: 'The name that was greeted.',
  }),
  message: textField({ maxBytes: MAX_GREETING_MESSAGE_BYTES, description: 'The greeting, e.g. "Hello, world!".' }),
  greetedAt: timestampField('When the greeting was made (UTC).'),
}).meta({
  title: 'greeting.greeted.v1',
  description: 'The greeter answered SayHello for `name`. Unknown fields are ignored.',
});

export type GreetingGreetedData = Readonly<z.input<typeof GreetingGreetedV1Schema>>;

const style = eventStyle('greeting.greeted.v1');

/**
 * `greeting.greeted` v1: the greeter answered SayHello for `name`. Published by the greeter to
 * `Topology.eventsExchange` with routing key `greeting.greeted` and AMQP type `greeting.greeted.v1`.
 * Unknown fields are ignored, so v1 may gain optional fields without breaking readers.
 */
export class GreetingGreetedIntegrationEvent implements GreetingGreetedData {
  static readonly routingKey = 'greeting.greeted';
  static readonly version = 1;
  static readonly type = 'greeting.greeted.v1';
  static readonly schema = GreetingGreetedV1Schema;

  readonly eventId: string;
  readonly name: string;
  readonly message: string;
  readonly greetedAt: string;

  /** Validates `data` against the schema; throws ContractViolation (`invalid-event`) naming the field. */
  constructor(data: GreetingGreetedData, checked?: typeof ALREADY_CHECKED) {
    const fields = checked === ALREADY_CHECKED ? data : checkContract(GreetingGreetedV1Schema, data, style);
    this.eventId = fields.eventId.toLowerCase();
    this.name = fields.name;
    this.message = fields.message;
    this.greetedAt = checked === ALREADY_CHECKED ? fields.greetedAt : (normalisedTimestamp(fields.greetedAt) as string);
    Object.freeze(this);
  }

  /** A new event with a fresh random id: each greeting is a distinct fact. */
  static create(data: {
    name: string;
    message: string;
    greetedAt?: Date | string;
    eventId?: string;
  }): GreetingGreetedIntegrationEvent {
    const fields = {
      eventId: data.eventId ?? newEventId(),
      name: data.name,
      message: data.message,
      greetedAt: toTimestamp(data.greetedAt),
    };
    // What it made itself (a fresh id, the current time) is valid; what it was given is checked.
    checkFields(GreetingGreetedV1Schema, fields, givenFields(data, ['eventId', 'name', 'message', 'greetedAt']), style);
    return new GreetingGreetedIntegrationEvent(fields, ALREADY_CHECKED);
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

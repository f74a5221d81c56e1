import { z } from 'zod';
import { ContractViolation } from '../contract-violation';
import { GreetingGreetedIntegrationEvent } from '../events/greeting-greeted.event';
import { LineReceivedIntegrationEvent } from '../events/line-received.event';
import { MessageHandledIntegrationEvent } from '../events/message-handled.event';
import { parseHelloRequest } from '../grpc/hello-request';
import { DeadLetterHeadersSchema } from '../messaging/dead-letter-headers';
import { MAX_MESSAGE_TEXT_BYTES, parseHelloMessage } from '../messaging/hello-message';
import { HelloRpcErrorReplySchema, HelloRpcReplySchema } from '../messaging/hello-rpc';

function violationOf(parse: () => unknown): ContractViolation {
  try {
    parse();
  } catch (error) {
    if (error instanceof ContractViolation) return error;
    throw error;
  }
  throw new Error('expected a ContractViolation');
}

const greeted = {
  eventId: '2c5ea4c0-4067-11e9-8bad-9b1deb4d3b7d',
  name: 'world',
  message: 'Hello, world!',
  greetedAt: '2024-01-31T12:00:00.000Z',
};

describe('the contracts’ wording of a violation (what a dead letter, an error reply and an HTTP 400 say)', () => {
  it.each([
    [
      'greeting.greeted.v1',
      () => GreetingGreetedIntegrationEvent.parse({ ...greeted, name: 42 }),
      'invalid-event',
      'name',
      'greeting.greeted.v1: "name" must be a string',
    ],
    [
      'greeting.greeted.v1, not an object',
      () => GreetingGreetedIntegrationEvent.parse([]),
      'invalid-event',
      undefined,
      'greeting.greeted.v1: the body must be a JSON object',
    ],
    [
      'message.handled.v1',
      () => MessageHandledIntegrationEvent.parse({ ...greeted, messageId: 'm', text: 'x', handledAt: 'noon' }),
      'invalid-event',
      'handledAt',
      'message.handled.v1: "handledAt" must be an RFC 3339 timestamp such as 2024-01-31T12:00:00.000Z',
    ],
    [
      'line.received.v1',
      () =>
        LineReceivedIntegrationEvent.parse({ ...greeted, eventId: 'x', line: '', remoteAddress: 'a', receivedAt: '' }),
      'invalid-event',
      'eventId',
      'line.received.v1: "eventId" must be a UUID',
    ],
    [
      'line.received.v1, too long',
      () =>
        LineReceivedIntegrationEvent.parse({
          eventId: greeted.eventId,
          line: '',
          remoteAddress: 'é'.repeat(65),
          receivedAt: greeted.greetedAt,
        }),
      'invalid-event',
      'remoteAddress',
      'line.received.v1: "remoteAddress" must be at most 128 bytes of UTF-8',
    ],
    ['hello.message.v1', () => parseHelloMessage({ text: '' }), 'invalid-message', 'text', '"text" must not be empty'],
    [
      'hello.message.v1, too large',
      () => parseHelloMessage({ text: 'x'.repeat(MAX_MESSAGE_TEXT_BYTES + 1) }),
      'message-too-large',
      'text',
      `"text" is longer than ${MAX_MESSAGE_TEXT_BYTES} bytes`,
    ],
    [
      'hello.message.v1, not an object',
      () => parseHelloMessage(7),
      'invalid-message',
      undefined,
      'body must be a JSON object with a "text" field',
    ],
    [
      'HelloRequest (gRPC and hello.rpc)',
      () => parseHelloRequest({ name: 'a\nb' }),
      'invalid-message',
      'name',
      'name: must not contain control characters',
    ],
  ])('%s', (_, parse, code, field, message) => {
    const violation = violationOf(parse);
    expect(violation).toMatchObject({ code, field, message });
  });
});

describe('the JSON Schema of each contract', () => {
  const jsonSchema = (schema: z.ZodType) => z.toJSONSchema(schema, { io: 'input' }) as Record<string, unknown>;

  it('should say every field, its type and limits, and leave room for fields a later minor version adds', () => {
    expect(jsonSchema(GreetingGreetedIntegrationEvent.schema)).toMatchObject({
      type: 'object',
      title: 'greeting.greeted.v1',
      required: ['eventId', 'name', 'message', 'greetedAt'],
      properties: {
        eventId: { type: 'string', format: 'uuid' },
        name: { type: 'string', minLength: 1, maxLength: 256 },
        message: { type: 'string', minLength: 1, maxLength: 4096 },
        greetedAt: { type: 'string', format: 'date-time' },
      },
    });
    expect(jsonSchema(GreetingGreetedIntegrationEvent.schema)).not.toHaveProperty('additionalProperties');
    expect(jsonSchema(LineReceivedIntegrationEvent.schema)).toMatchObject({
      properties: { line: { type: 'string', maxLength: 256 * 1024 } },
    });
    expect(jsonSchema(LineReceivedIntegrationEvent.schema)).not.toHaveProperty('properties.line.minLength');
  });

  it('should describe the replies of hello.rpc and the headers of a dead letter', () => {
    expect(jsonSchema(HelloRpcReplySchema)).toMatchObject({ required: ['message'] });
    expect(jsonSchema(HelloRpcErrorReplySchema)).toMatchObject({
      properties: { error: { required: ['code', 'message'], properties: { code: { enum: expect.any(Array) } } } },
    });
    expect(jsonSchema(DeadLetterHeadersSchema)).toMatchObject({
      required: ['x-hello-death-reason', 'x-hello-death-detail'],
      properties: { 'x-hello-death-reason': { enum: expect.arrayContaining(['invalid-event', 'no-reply-to']) } },
    });
  });
});

describe('the events a process builds itself (create)', () => {
  it.each([
    [
      'a given event id',
      () => GreetingGreetedIntegrationEvent.create({ name: 'a', message: 'm', eventId: 'x' }),
      'eventId',
    ],
    ['a given name', () => GreetingGreetedIntegrationEvent.create({ name: '', message: 'm' }), 'name'],
    [
      'a given time',
      () => GreetingGreetedIntegrationEvent.create({ name: 'a', message: 'm', greetedAt: 'noon' }),
      'greetedAt',
    ],
    [
      'a given time that is no date',
      () => LineReceivedIntegrationEvent.create({ line: '', remoteAddress: 'a', receivedAt: new Date(Number.NaN) }),
      'receivedAt',
    ],
    [
      'a message id over its limit',
      () => MessageHandledIntegrationEvent.create({ messageId: 'm'.repeat(257), text: 'hi' }),
      'messageId',
    ],
    ['an empty text', () => MessageHandledIntegrationEvent.create({ messageId: 'm', text: '' }), 'text'],
  ])('should still check %s', (_, create, field) => {
    expect(violationOf(create)).toMatchObject({ code: 'invalid-event', field });
  });

  it('should give the same event as parsing its JSON', () => {
    const made = MessageHandledIntegrationEvent.create({ messageId: 'm-1', text: 'hi', handledAt: new Date(0) });
    expect(MessageHandledIntegrationEvent.parse(made.toJSON())).toEqual(made);
    expect(made.handledAt).toBe('1970-01-01T00:00:00.000Z');
  });
});

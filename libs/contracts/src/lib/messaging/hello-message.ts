import type { z } from 'zod';
import { checkContract, jsonObject, textField } from '../schema/contract-schema';

/** Longest text a hello message may carry, in bytes of UTF-8. */
export const MAX_MESSAGE_TEXT_BYTES = 64 * 1024;

/** AMQP `type` of a hello message. */
export const HELLO_MESSAGE_TYPE = 'hello.message.v1';

/** A JSON body of the `hello` queue, the one definition of it. A plain-text body is its `text` as a whole. */
export const HelloMessageSchema = jsonObject(
  {
    text: textField({
      maxBytes: MAX_MESSAGE_TEXT_BYTES,
      tooLarge: 'message-too-large',
      tooLargeMessage: `is longer than ${MAX_MESSAGE_TEXT_BYTES} bytes`,
      description: 'The text to handle.',
    }),
  },
  'body must be a JSON object with a "text" field',
).meta({
  title: HELLO_MESSAGE_TYPE,
  description: 'A message of the `hello` work queue. Unknown fields are ignored.',
});

/** The body of a message on the `hello` queue (JSON), or the whole text of a plain-text body. */
export type HelloMessage = Readonly<z.output<typeof HelloMessageSchema>>;

/** Checks an already parsed JSON value; throws a ContractViolation naming the field. */
export function parseHelloMessage(value: unknown): HelloMessage {
  return checkContract(HelloMessageSchema, value, {
    code: 'invalid-message',
    wording: (field, message) => (field === undefined ? message : `"${field}" ${message}`),
  });
}

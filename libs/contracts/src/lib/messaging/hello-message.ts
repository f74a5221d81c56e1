import { ContractViolation } from '../contract-violation';

/** Longest text a hello message may carry, in bytes of UTF-8. */
export const MAX_MESSAGE_TEXT_BYTES = 64 * 1024;

/** AMQP `type` of a hello message. */
export const HELLO_MESSAGE_TYPE = 'hello.message.v1';

/** The body of a message on the `hello` queue (JSON), or the whole text of a plain-text body. */
export interface HelloMessage {
  readonly text: string;
}

/** Checks an already parsed JSON value; throws a ContractViolation naming the field. */
export function parseHelloMessage(value: unknown): HelloMessage {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ContractViolation('invalid-message', 'body must be a JSON object with a "text" field');
  }
  const text = (value as Record<string, unknown>)['text'];
  if (typeof text !== 'string') {
    throw new ContractViolation('invalid-message', '"text" must be a string', 'text');
  }
  if (text.length === 0) {
    throw new ContractViolation('invalid-message', '"text" must not be empty', 'text');
  }
  if (Buffer.byteLength(text, 'utf8') > MAX_MESSAGE_TEXT_BYTES) {
    throw new ContractViolation('message-too-large', `"text" is longer than ${MAX_MESSAGE_TEXT_BYTES} bytes`, 'text');
  }
  return { text };
}

import { HelloMessage, parseHelloMessage } from '@hello/contracts';

/**
 * The payload of a `hello.message.v1`: a JSON body `{"text": "..."}`, or a plain-text body (what
 * RabbitMQ's tutorial sends) whose whole content is the text. Throws ContractViolation otherwise.
 */
export function decodeHelloMessage(body: unknown): HelloMessage {
  return parseHelloMessage(typeof body === 'string' ? { text: body } : body);
}

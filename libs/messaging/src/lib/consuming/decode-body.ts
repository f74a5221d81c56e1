import type { ConsumeMessage } from 'amqplib';

/** Why a body could not be decoded; used as the dead-letter reason. */
export class UndecodableBody extends Error {
  constructor(
    readonly reason: 'malformed-json' | 'unsupported-content-type' | 'invalid-message',
    message: string,
  ) {
    super(message);
    this.name = 'UndecodableBody';
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The payload of a message, by its content type: `application/json` (or `…+json`) → the parsed value;
 * `text/plain` or no content type (what RabbitMQ's tutorial producer sends) → the whole body as a
 * string. Anything else, a content encoding such as gzip, invalid UTF-8 or invalid JSON throws
 * UndecodableBody.
 */
export function decodeBody(message: ConsumeMessage): unknown {
  const { contentType, contentEncoding } = message.properties;
  if (contentEncoding && !/^(identity|utf-?8)$/i.test(String(contentEncoding))) {
    throw new UndecodableBody('unsupported-content-type', `content encoding "${contentEncoding}" is not supported`);
  }
  const mediaType = typeof contentType === 'string' ? contentType.split(';')[0].trim().toLowerCase() : '';
  const isJson = mediaType === 'application/json' || /^application\/[^/]+\+json$/.test(mediaType);
  if (!isJson && mediaType !== '' && mediaType !== 'text/plain') {
    throw new UndecodableBody(
      'unsupported-content-type',
      `content type "${contentType}" is not supported (use application/json or text/plain)`,
    );
  }
  let text: string;
  try {
    text = utf8.decode(message.content);
  } catch {
    throw new UndecodableBody(isJson ? 'malformed-json' : 'invalid-message', 'body is not valid UTF-8');
  }
  if (!isJson) return text;
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new UndecodableBody('malformed-json', `body is not valid JSON: ${(error as Error).message}`);
  }
}

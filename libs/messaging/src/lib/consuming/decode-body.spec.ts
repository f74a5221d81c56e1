import type { ConsumeMessage } from 'amqplib';
import { decodeBody, UndecodableBody } from './decode-body';

function message(content: string | Buffer, properties: Record<string, unknown> = {}): ConsumeMessage {
  return {
    content: Buffer.from(content),
    properties: { headers: {}, ...properties },
    fields: {},
  } as unknown as ConsumeMessage;
}

function reasonOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof UndecodableBody ? error.reason : 'other';
  }
  return undefined;
}

describe('decodeBody', () => {
  it('should read a body without content type as text (the tutorial producer)', () => {
    expect(decodeBody(message('Hello World!'))).toBe('Hello World!');
    expect(decodeBody(message('{"a":1}'))).toBe('{"a":1}');
  });

  it('should read text/plain with a charset as text', () => {
    expect(decodeBody(message('grüß', { contentType: 'text/plain; charset=utf-8' }))).toBe('grüß');
  });

  it('should parse application/json and +json types', () => {
    expect(decodeBody(message('{"text":"hi"}', { contentType: 'application/json' }))).toEqual({ text: 'hi' });
    expect(
      decodeBody(
        message('[1]', {
          contentType: 'application/vnd.hello+json; charset=utf-8',
        }),
      ),
    ).toEqual([1]);
  });

  it.each([
    ['invalid JSON', message('{"text":', { contentType: 'application/json' }), 'malformed-json'],
    [
      'JSON that is not UTF-8',
      message(Buffer.from([0x7b, 0xff, 0x7d]), {
        contentType: 'application/json',
      }),
      'malformed-json',
    ],
    ['text that is not UTF-8', message(Buffer.from([0xc3, 0x28])), 'invalid-message'],
    ['another content type', message('<x/>', { contentType: 'application/xml' }), 'unsupported-content-type'],
    ['a content encoding', message('x', { contentEncoding: 'gzip' }), 'unsupported-content-type'],
  ])('should refuse %s', (_what, input, reason) => {
    expect(reasonOf(() => decodeBody(input))).toBe(reason);
  });
});

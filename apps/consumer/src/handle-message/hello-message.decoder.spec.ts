import { ContractViolation, MAX_MESSAGE_TEXT_BYTES } from '@hello/contracts';
import { decodeHelloMessage } from './hello-message.decoder';

describe('decodeHelloMessage', () => {
  it('should take a plain-text body as the whole text', () => {
    expect(decodeHelloMessage('Hello World!')).toEqual({
      text: 'Hello World!',
    });
    expect(decodeHelloMessage('{"text": "not parsed"}')).toEqual({
      text: '{"text": "not parsed"}',
    });
  });

  it('should take a JSON body with a text', () => {
    expect(decodeHelloMessage({ text: 'Hello World!' })).toEqual({
      text: 'Hello World!',
    });
  });

  it.each([
    ['an empty text body', '', 'invalid-message'],
    ['an object without text', { txt: 'x' }, 'invalid-message'],
    ['a JSON array', ['x'], 'invalid-message'],
    ['an oversized text body', 'x'.repeat(MAX_MESSAGE_TEXT_BYTES + 1), 'message-too-large'],
  ])('should reject %s', (_what, body, code) => {
    expect(() => decodeHelloMessage(body)).toThrow(ContractViolation);
    expect(() => decodeHelloMessage(body)).toThrow(expect.objectContaining({ code }));
  });
});

import { ContractViolation } from '../contract-violation';
import { MAX_MESSAGE_TEXT_BYTES, parseHelloMessage } from './hello-message';

describe('parseHelloMessage', () => {
  it('should accept an object with a text', () => {
    expect(parseHelloMessage({ text: 'Hello World!' })).toEqual({ text: 'Hello World!' });
  });

  it.each([
    [null, undefined],
    [[], undefined],
    ['text', undefined],
    [{}, 'text'],
    [{ text: 42 }, 'text'],
    [{ text: '' }, 'text'],
  ])('should reject %j naming field %s', (value, field) => {
    const error = (() => {
      try {
        parseHelloMessage(value);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ContractViolation);
    expect((error as ContractViolation).field).toBe(field);
    expect((error as ContractViolation).code).toBe('invalid-message');
  });

  it('should reject a text over the size limit', () => {
    expect(() => parseHelloMessage({ text: 'x'.repeat(MAX_MESSAGE_TEXT_BYTES + 1) })).toThrow(
      expect.objectContaining({ code: 'message-too-large', field: 'text' }),
    );
  });
});

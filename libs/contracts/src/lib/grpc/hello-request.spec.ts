import { ContractViolation } from '../contract-violation';
import { MAX_NAME_LENGTH } from './greeting';
import { parseHelloRequest } from './hello-request';

function violationOf(request: unknown): ContractViolation {
  try {
    parseHelloRequest(request as never);
  } catch (error) {
    if (error instanceof ContractViolation) return error;
    throw error;
  }
  throw new Error('expected a ContractViolation');
}

describe('parseHelloRequest', () => {
  it.each([
    ['a plain name', 'world'],
    ['a name with a tab', 'Ada\tLovelace'],
    ['non-Latin text', 'Σωκράτης 李白'],
    ['emoji made of surrogate pairs', '👋🏽 friend'],
    ['exactly the longest name, counted in code points', '😀'.repeat(MAX_NAME_LENGTH)],
  ])('should accept %s', (_, name) => {
    expect(parseHelloRequest({ name })).toEqual({ name });
  });

  it.each([
    ['an empty name', '', 'name: must not be empty'],
    ['a blank name', ' \t ', 'name: must not be empty'],
    [
      'a name one character too long',
      'a'.repeat(MAX_NAME_LENGTH + 1),
      `name: must be at most ${MAX_NAME_LENGTH} characters`,
    ],
    [
      'too many code points made of surrogate pairs',
      '😀'.repeat(MAX_NAME_LENGTH + 1),
      `name: must be at most ${MAX_NAME_LENGTH} characters`,
    ],
    ['a replacement character left by invalid UTF-8', 'A\uFFFD(', 'name: must be valid UTF-8 text'],
    ['a lone high surrogate', 'ab\uD83D', 'name: must be valid UTF-8 text'],
    ['a lone low surrogate', '\uDE00ab', 'name: must be valid UTF-8 text'],
    ['a newline', 'Ada\nLovelace', 'name: must not contain control characters'],
    ['a NUL', 'Ada\u0000', 'name: must not contain control characters'],
    ['DEL', 'Ada\u007F', 'name: must not contain control characters'],
    ['a C1 control', 'Ada\u0085', 'name: must not contain control characters'],
    ['a missing name', undefined, 'name: must be a string'],
    ['a name that is not a string', 42, 'name: must be a string'],
  ])('should reject %s', (_, name, message) => {
    const violation = violationOf({ name });
    expect(violation.code).toBe('invalid-message');
    expect(violation.field).toBe('name');
    expect(violation.message).toBe(message);
  });

  it('should reject a missing request', () => {
    expect(violationOf(undefined).message).toBe('name: must be a string');
  });
});

import { ContractViolation } from '../contract-violation';
import { MAX_NAME_LENGTH } from './greeting';
import type { HelloRequest } from './grpc-types';

// One pass over the name on the hot path. With the `u` flag a surrogate range only matches
// unpaired halves; U+FFFD is what a decoder leaves where the sender's bytes were not UTF-8.
// Matching control characters is the point of these two, hence the lint exceptions.
// eslint-disable-next-line no-control-regex
const NOT_PLAIN_TEXT = /[\u0000-\u0008\u000A-\u001F\u007F-\u009F\uD800-\uDFFF\uFFFD]/u;
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTER = /[\u0000-\u0008\u000A-\u001F\u007F-\u009F]/u;

/**
 * Checks the `name` of a HelloRequest and returns the request. Throws a ContractViolation
 * (`invalid-message`, field `name`) when the name is empty or blank, longer than
 * MAX_NAME_LENGTH code points, not valid UTF-8 text, or holds control characters other than tab.
 */
export function parseHelloRequest(request: Partial<HelloRequest> | null | undefined): HelloRequest {
  const name = request?.name;
  if (typeof name !== 'string') {
    throw new ContractViolation('invalid-message', 'name: must be a string', 'name');
  }
  if (name.trim().length === 0) {
    throw new ContractViolation('invalid-message', 'name: must not be empty', 'name');
  }
  // A string never has more code points than UTF-16 units, so short names skip the count.
  if (name.length > MAX_NAME_LENGTH && codePointCount(name) > MAX_NAME_LENGTH) {
    throw new ContractViolation('invalid-message', `name: must be at most ${MAX_NAME_LENGTH} characters`, 'name');
  }
  if (NOT_PLAIN_TEXT.test(name)) {
    throw new ContractViolation(
      'invalid-message',
      CONTROL_CHARACTER.test(name) ? 'name: must not contain control characters' : 'name: must be valid UTF-8 text',
      'name',
    );
  }
  return request as HelloRequest;
}

// Each surrogate pair is two UTF-16 units but one code point; a lone surrogate counts as one.
const SURROGATE_PAIR = /[\uD800-\uDBFF][\uDC00-\uDFFF]/g;

function codePointCount(text: string): number {
  return text.length - (text.match(SURROGATE_PAIR)?.length ?? 0);
}

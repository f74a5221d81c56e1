import { z } from 'zod';
import { checkContract, codePointCount, type ViolationStyle } from '../schema/contract-schema';
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
 * The `name` of a HelloRequest, over gRPC and AMQP alike: not empty or blank, at most
 * MAX_NAME_LENGTH code points, valid UTF-8 text with no control characters other than tab.
 */
export const HelloNameSchema = z
  .string({ error: 'must be a string' })
  .check((ctx) => {
    const name = ctx.value;
    if (name.trim().length === 0) {
      ctx.issues.push({ code: 'custom', message: 'must not be empty', input: name });
      // A string never has more code points than UTF-16 units, so short names skip the count.
    } else if (name.length > MAX_NAME_LENGTH && codePointCount(name) > MAX_NAME_LENGTH) {
      ctx.issues.push({ code: 'custom', message: `must be at most ${MAX_NAME_LENGTH} characters`, input: name });
    } else if (NOT_PLAIN_TEXT.test(name)) {
      const message = CONTROL_CHARACTER.test(name) ? 'must not contain control characters' : 'must be valid UTF-8 text';
      ctx.issues.push({ code: 'custom', message, input: name });
    }
  })
  .meta({
    description: 'Who to greet: not blank, no control characters other than tab.',
    minLength: 1,
    maxLength: MAX_NAME_LENGTH,
    pattern:
      '^[^\\u0000-\\u0008\\u000A-\\u001F\\u007F-\\u009F\\uFFFD]*\\S[^\\u0000-\\u0008\\u000A-\\u001F\\u007F-\\u009F\\uFFFD]*$',
  });

/** A SayHello request (gRPC `HelloRequest`; the JSON body of a `hello.rpc` request). */
export const HelloRequestSchema = z
  .object({ name: HelloNameSchema })
  .meta({ title: 'HelloRequest', description: 'SayHello: the name to greet. Unknown fields are ignored.' });

const nameStyle: ViolationStyle = {
  code: 'invalid-message',
  wording: (field, message) => `${field}: ${message}`,
  field: 'name',
};

/**
 * Checks the `name` of a HelloRequest and returns the request. Throws a ContractViolation
 * (`invalid-message`, field `name`) when the name breaks HelloNameSchema.
 */
export function parseHelloRequest(request: Partial<HelloRequest> | null | undefined): HelloRequest {
  // Only the name is checked, and the request handed back as it came: this runs on every call.
  const name = request?.name;
  checkContract(HelloNameSchema, name, nameStyle);
  return request as HelloRequest;
}

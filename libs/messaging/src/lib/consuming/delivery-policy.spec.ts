import { PublishRefusedError, PublishTimeoutError } from '../errors';
import { ContractViolation } from '@hello/contracts';
import { UndecodableBody } from './decode-body';
import { decideDelivery, describeError, outcomeOfError } from './delivery-policy';

describe('decideDelivery', () => {
  const retry = { delaysMs: [1000, 5000] };
  const input = (attempt: number) => ({ queue: 'hello', attempt, retry });

  it('should ack a handled message and a duplicate', () => {
    expect(decideDelivery({ kind: 'handled' }, input(1))).toEqual({
      kind: 'ack',
    });
    expect(decideDelivery({ kind: 'duplicate' }, input(2))).toEqual({
      kind: 'ack',
    });
  });

  it('should dead-letter a rejected message at once, whatever the try', () => {
    expect(decideDelivery({ kind: 'rejected', reason: 'malformed-json', detail: 'bad' }, input(1))).toEqual({
      kind: 'dead-letter',
      queue: 'hello.dead',
      reason: 'malformed-json',
      detail: 'bad',
      attempts: 1,
    });
  });

  it('should retry a failed try through the delay queue of that try, with its delay', () => {
    expect(decideDelivery({ kind: 'failed', error: new Error('db down') }, input(1))).toEqual({
      kind: 'retry',
      queue: 'hello.retry.1',
      delayMs: 1000,
      attempts: 1,
      detail: 'Error: db down',
    });
    expect(decideDelivery({ kind: 'failed', error: new Error('db down') }, input(2))).toMatchObject({
      kind: 'retry',
      queue: 'hello.retry.2',
      delayMs: 5000,
      attempts: 2,
    });
  });

  it('should dead-letter with the last error once the tries are used up', () => {
    expect(decideDelivery({ kind: 'failed', error: new TypeError('boom') }, input(3))).toEqual({
      kind: 'dead-letter',
      queue: 'hello.dead',
      reason: 'handler-failed',
      detail: 'TypeError: boom',
      attempts: 3,
    });
  });

  it('should dead-letter on the first failure when only one try is allowed', () => {
    expect(
      decideDelivery({ kind: 'failed', error: 'x' }, { queue: 'q', attempt: 1, retry: { delaysMs: [] } }),
    ).toMatchObject({
      kind: 'dead-letter',
      queue: 'q.dead',
      reason: 'handler-failed',
    });
  });

  it('should take the delay of a later retry from its place in the list', () => {
    const long = {
      queue: 'q',
      attempt: 4,
      retry: { delaysMs: [10, 20, 20, 20, 20] },
    };
    expect(decideDelivery({ kind: 'failed', error: 'x' }, long)).toMatchObject({
      kind: 'retry',
      queue: 'q.retry.4',
      delayMs: 20,
    });
  });
});

describe('outcomeOfError', () => {
  it('should reject a ContractViolation with its code, naming the field', () => {
    expect(outcomeOfError(new ContractViolation('invalid-message', 'must be a string', 'text'))).toEqual({
      kind: 'rejected',
      reason: 'invalid-message',
      detail: 'text: must be a string',
    });
  });

  it('should reject an undecodable body with its reason', () => {
    expect(outcomeOfError(new UndecodableBody('malformed-json', 'body is not valid JSON'))).toEqual({
      kind: 'rejected',
      reason: 'malformed-json',
      detail: 'body is not valid JSON',
    });
  });

  it('should count any other error as a handler failure', () => {
    const error = new Error('timeout');
    expect(outcomeOfError(error)).toEqual({ kind: 'failed', error });
    expect(outcomeOfError({ status: 'error', message: 'Internal server error' })).toMatchObject({ kind: 'failed' });
  });
});

describe('describeError', () => {
  it('should describe errors, error-like objects and anything else on one bounded line', () => {
    expect(describeError(new RangeError('too far'))).toBe('RangeError: too far');
    expect(describeError({ message: 'Internal server error' })).toBe('Internal server error');
    expect(describeError(42)).toBe('42');
    expect(describeError(new PublishTimeoutError('m1', 5000, new Error('timeout')))).toBe(
      'not-confirmed: message m1 was not confirmed by the broker within 5000 ms (last error: timeout)',
    );
    expect(describeError(new PublishRefusedError('m1', 'hello.events', 'ACCESS_REFUSED - no'))).toBe(
      "access-refused: message m1 to exchange 'hello.events' was refused by the broker: ACCESS_REFUSED - no",
    );
    expect(describeError(new Error('x'.repeat(5000)))).toHaveLength(1000);
  });
});

import { status } from '@grpc/grpc-js';
import { ContractViolation } from '@hello/contracts';
import { UndecodableBody } from '@hello/messaging';
import { statusName, statusOfError } from './error-status';

describe('statusOfError', () => {
  it('should map a contract violation by its code, keeping its message', () => {
    expect(statusOfError(new ContractViolation('invalid-message', 'name: must not be empty'))).toEqual({
      code: status.INVALID_ARGUMENT,
      details: 'name: must not be empty',
    });
    expect(statusOfError(new ContractViolation('message-too-large', 'big'))?.code).toBe(status.RESOURCE_EXHAUSTED);
  });

  it('should map a request body that cannot be decoded to INVALID_ARGUMENT', () => {
    expect(statusOfError(new UndecodableBody('malformed-json', 'body is not valid JSON: x'))).toEqual({
      code: status.INVALID_ARGUMENT,
      details: 'body is not valid JSON: x',
    });
    expect(statusOfError(new UndecodableBody('unsupported-content-type', 'no'))?.code).toBe(status.INVALID_ARGUMENT);
  });

  it('should leave anything else unmapped', () => {
    expect(statusOfError(new Error('boom'))).toBeUndefined();
    expect(statusOfError({ code: 'invalid-message', message: 'not an Error' })).toBeUndefined();
  });
});

describe('statusName', () => {
  it('should spell the status as the gRPC spec does', () => {
    expect(statusName(status.INVALID_ARGUMENT)).toBe('INVALID_ARGUMENT');
    expect(statusName(status.RESOURCE_EXHAUSTED)).toBe('RESOURCE_EXHAUSTED');
    expect(statusName(status.INTERNAL)).toBe('INTERNAL');
  });
});

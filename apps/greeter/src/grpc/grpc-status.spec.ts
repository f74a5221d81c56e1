import { status } from '@grpc/grpc-js';
import { ContractViolation } from '@hello/contracts';
import { RpcException } from '@nestjs/microservices';
import { UnknownServiceError } from '../health/unknown-service.error';
import { grpcStatusOf } from './grpc-status';

describe('grpcStatusOf', () => {
  it('should map an invalid message to INVALID_ARGUMENT with its message', () => {
    expect(grpcStatusOf(new ContractViolation('invalid-message', 'name: must not be empty', 'name'))).toEqual({
      code: status.INVALID_ARGUMENT,
      details: 'name: must not be empty',
    });
  });

  it('should map a message that is too large to RESOURCE_EXHAUSTED', () => {
    expect(grpcStatusOf(new ContractViolation('message-too-large', 'too big'))?.code).toBe(status.RESOURCE_EXHAUSTED);
  });

  it('should map an unknown health service to NOT_FOUND', () => {
    expect(grpcStatusOf(new UnknownServiceError('nope'))).toEqual({
      code: status.NOT_FOUND,
      details: 'unknown service "nope"',
    });
  });

  it('should keep the status an RpcException names', () => {
    expect(grpcStatusOf(new RpcException({ code: status.UNAVAILABLE, message: 'later' }))).toEqual({
      code: status.UNAVAILABLE,
      details: 'later',
    });
  });

  it.each([
    ['an Error without a code', new Error('boom')],
    ['an Error with a code nobody mapped', Object.assign(new Error('boom'), { code: 'ENOENT' })],
    ['an RpcException with a plain message', new RpcException('boom')],
    ['something that is not an Error', 'boom'],
    ['an Error whose code names an Object property', Object.assign(new Error('boom'), { code: 'toString' })],
  ])('should leave %s unmapped', (_, error) => {
    expect(grpcStatusOf(error)).toBeUndefined();
  });
});

import { status } from '@grpc/grpc-js';
import { ContractViolation } from '@hello/contracts';
import { Logger, type ArgumentsHost } from '@nestjs/common';
import { firstValueFrom } from 'rxjs';
import { GrpcErrorFilter } from './grpc-error.filter';

function hostFor(path: string): ArgumentsHost {
  const call = { getPath: () => path };
  return { getArgByIndex: (index: number) => [{}, {}, call][index] } as unknown as ArgumentsHost;
}

async function statusSent(exception: unknown): Promise<unknown> {
  return firstValueFrom(new GrpcErrorFilter().catch(exception, hostFor('/helloworld.Greeter/SayHello'))).then(
    () => {
      throw new Error('expected an error');
    },
    (error: unknown) => error,
  );
}

describe('GrpcErrorFilter', () => {
  let logError: jest.SpyInstance;

  beforeEach(() => {
    logError = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
  });

  afterEach(() => jest.restoreAllMocks());

  it('should send a known error as its status without logging it', async () => {
    await expect(statusSent(new ContractViolation('invalid-message', 'name: must not be empty'))).resolves.toEqual({
      code: status.INVALID_ARGUMENT,
      details: 'name: must not be empty',
    });
    expect(logError).not.toHaveBeenCalled();
  });

  it('should send INTERNAL with a generic message for anything else, and log the error with its stack', async () => {
    const error = new Error('database password is hunter2');
    const sent = await statusSent(error);
    expect(sent).toEqual({ code: status.INTERNAL, details: 'Internal error' });
    expect(JSON.stringify(sent)).not.toContain('hunter2');
    expect(logError).toHaveBeenCalledWith(
      'unexpected error in /helloworld.Greeter/SayHello: database password is hunter2',
      error.stack,
    );
  });

  it('should cope with something thrown that is not an Error', async () => {
    await expect(statusSent('a string')).resolves.toEqual({ code: status.INTERNAL, details: 'Internal error' });
  });
});

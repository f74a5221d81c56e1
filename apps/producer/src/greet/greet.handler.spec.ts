import { ClientProxy } from '@nestjs/microservices';
import { of, throwError } from 'rxjs';
import { HELLO_RPC_TYPE } from '@hello/contracts';
import { AmqpRecord, RpcTimeoutError } from '@hello/messaging';
import { GreetCommand } from './greet.command';
import { GreetHandler } from './greet.handler';

describe('GreetHandler', () => {
  let send: jest.Mock;
  let handler: GreetHandler;

  beforeEach(() => {
    send = jest.fn().mockReturnValue(of({ message: 'Hello, Ada!' }));
    handler = new GreetHandler({ send } as unknown as ClientProxy);
  });

  it('should send SayHello with the name and answer the reply', async () => {
    await expect(handler.execute(new GreetCommand('Ada'))).resolves.toEqual({
      message: 'Hello, Ada!',
    });
    const [pattern, record] = send.mock.calls[0] as [string, AmqpRecord];
    expect(pattern).toBe(HELLO_RPC_TYPE);
    expect(record).toBeInstanceOf(AmqpRecord);
    expect(record.body).toEqual({ name: 'Ada' });
  });

  it('should fail as the client fails', async () => {
    send.mockReturnValue(throwError(() => new RpcTimeoutError('hello.rpc', 100)));
    await expect(handler.execute(new GreetCommand('Ada'))).rejects.toBeInstanceOf(RpcTimeoutError);
  });
});

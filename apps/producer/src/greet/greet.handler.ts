import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { ClientProxy } from '@nestjs/microservices';
import { lastValueFrom } from 'rxjs';
import { HELLO_RPC_TYPE, HelloReply } from '@hello/contracts';
import { AmqpRecord } from '@hello/messaging';
import { GREETER_RPC_CLIENT } from '../messaging/producer-broker';
import { GreetCommand } from './greet.command';

/**
 * Calls the greeter's SayHello through the `hello.rpc` queue with the ClientProxy idiom:
 * `client.send(pattern, data)`. The client (AmqpRpcClient) keeps the wire plain AMQP and fails with
 * RpcTimeoutError, RpcUnavailableError or RpcErrorReply, which ProducerHttpErrorFilter maps to 504, 503 and
 * the status of the error reply.
 */
@CommandHandler(GreetCommand)
export class GreetHandler implements ICommandHandler<GreetCommand> {
  constructor(@Inject(GREETER_RPC_CLIENT) private readonly greeter: ClientProxy) {}

  execute(command: GreetCommand): Promise<HelloReply> {
    return lastValueFrom(
      this.greeter.send<HelloReply>(
        HELLO_RPC_TYPE,
        // The request's trace context goes in its headers, from the active span (the HTTP request's).
        new AmqpRecord({ name: command.name }),
      ),
    );
  }
}

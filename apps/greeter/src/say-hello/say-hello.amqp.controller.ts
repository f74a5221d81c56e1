import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { helloRpcRequestOf, type HelloReply } from '@hello/contracts';
import type { AmqpRpcRequest } from '@hello/messaging';
import { GreeterRpcServer } from '../messaging/greeter-rpc-server';
import { SayHelloCommand } from './say-hello.command';

/**
 * SayHello over RabbitMQ request/reply on `hello.rpc`: maps each request to the same SayHelloCommand
 * the gRPC transport sends. Serving starts once every handler is registered; the server (size limit,
 * error replies, drain) is GreeterRpcServer.
 */
@Injectable()
export class SayHelloAmqpController implements OnApplicationBootstrap {
  constructor(
    private readonly commandBus: CommandBus,
    private readonly server: GreeterRpcServer,
  ) {}

  onApplicationBootstrap(): void {
    this.server.serve((request) => this.sayHello(request));
  }

  private sayHello(request: AmqpRpcRequest): Promise<HelloReply> {
    const { name } = helloRpcRequestOf(request.body());
    return this.commandBus.execute(new SayHelloCommand(name as string, request.requestId));
  }
}

import type { Metadata } from '@grpc/grpc-js';
import { Controller } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { GrpcMethod } from '@nestjs/microservices';
import { GREETER_SERVICE_NAME, type HelloReply, type HelloRequest } from '@hello/contracts';
import type { Observable } from 'rxjs';
import { traceparentOf } from '../grpc/traceparent-of';
import { StreamGreetingsCommand } from './stream-greetings.command';

@Controller()
export class StreamGreetingsGrpcController {
  constructor(private readonly commandBus: CommandBus) {}

  @GrpcMethod(GREETER_SERVICE_NAME, 'SayHelloStreamReply')
  sayHelloStreamReply(request: HelloRequest, metadata?: Metadata): Promise<Observable<HelloReply>> {
    return this.commandBus.execute(new StreamGreetingsCommand(request.name, traceparentOf(metadata)));
  }
}

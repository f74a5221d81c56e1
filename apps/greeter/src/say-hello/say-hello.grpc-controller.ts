import type { Metadata } from '@grpc/grpc-js';
import { Controller } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { GrpcMethod, GrpcStreamMethod } from '@nestjs/microservices';
import { GREETER_SERVICE_NAME, type HelloReply, type HelloRequest } from '@hello/contracts';
import { concatMap, type Observable } from 'rxjs';
import { traceparentOf } from '../grpc/traceparent-of';
import { SayHelloCommand } from './say-hello.command';

@Controller()
export class SayHelloGrpcController {
  constructor(private readonly commandBus: CommandBus) {}

  @GrpcMethod(GREETER_SERVICE_NAME, 'SayHello')
  sayHello(request: HelloRequest, metadata?: Metadata): Promise<HelloReply> {
    return this.commandBus.execute(new SayHelloCommand(request.name, traceparentOf(metadata)));
  }

  // One reply per request, in request order; a bad name ends the call with its status.
  @GrpcStreamMethod(GREETER_SERVICE_NAME, 'SayHelloBidiStream')
  sayHelloBidiStream(requests: Observable<HelloRequest>, metadata?: Metadata): Observable<HelloReply> {
    const traceparent = traceparentOf(metadata);
    return requests.pipe(
      concatMap((request) => this.commandBus.execute(new SayHelloCommand(request.name, traceparent))),
    );
  }
}

import { Controller, UseFilters } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { GrpcMethod, GrpcStreamMethod } from '@nestjs/microservices';
import { GREETER_SERVICE_NAME, type HelloReply, type HelloRequest } from '@hello/contracts';
import { concatMap, type Observable } from 'rxjs';
import { GrpcErrorFilter } from '../grpc/grpc-error.filter';
import { SayHelloCommand } from './say-hello.command';

@Controller()
@UseFilters(GrpcErrorFilter)
export class SayHelloGrpcController {
  constructor(private readonly commandBus: CommandBus) {}

  @GrpcMethod(GREETER_SERVICE_NAME, 'SayHello')
  sayHello(request: HelloRequest): Promise<HelloReply> {
    return this.commandBus.execute(new SayHelloCommand(request.name));
  }

  // One reply per request, in request order; a bad name ends the call with its status.
  @GrpcStreamMethod(GREETER_SERVICE_NAME, 'SayHelloBidiStream')
  sayHelloBidiStream(requests: Observable<HelloRequest>): Observable<HelloReply> {
    return requests.pipe(concatMap((request) => this.commandBus.execute(new SayHelloCommand(request.name))));
  }
}

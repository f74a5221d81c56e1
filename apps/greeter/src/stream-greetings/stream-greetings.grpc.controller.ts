import { Controller, UseFilters } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { GrpcMethod } from '@nestjs/microservices';
import { GREETER_SERVICE_NAME, type HelloReply, type HelloRequest } from '@hello/contracts';
import type { Observable } from 'rxjs';
import { GrpcErrorFilter } from '../grpc/grpc-error.filter';
import { StreamGreetingsCommand } from './stream-greetings.command';

@Controller()
@UseFilters(GrpcErrorFilter)
export class StreamGreetingsGrpcController {
  constructor(private readonly commandBus: CommandBus) {}

  @GrpcMethod(GREETER_SERVICE_NAME, 'SayHelloStreamReply')
  sayHelloStreamReply(request: HelloRequest): Promise<Observable<HelloReply>> {
    return this.commandBus.execute(new StreamGreetingsCommand(request.name));
  }
}

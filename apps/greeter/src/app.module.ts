import { Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { CqrsModule } from '@nestjs/cqrs';
import { GrpcErrorFilter } from './grpc/grpc-error.filter';
import { HealthGrpcController } from './health/health.grpc-controller';
import { HealthStatusRegistry } from './health/health-status.registry';
import { LogGreetingWhenGreetedHandler } from './say-hello/log-greeting-when-greeted.handler';
import { SayHelloGrpcController } from './say-hello/say-hello.grpc-controller';
import { SayHelloHandler } from './say-hello/say-hello.handler';
import { Clock } from './shared/clock';
import { StreamGreetingsGrpcController } from './stream-greetings/stream-greetings.grpc-controller';
import { StreamGreetingsHandler } from './stream-greetings/stream-greetings.handler';

const grpcControllers = [SayHelloGrpcController, StreamGreetingsGrpcController, HealthGrpcController];
const commandHandlers = [SayHelloHandler, StreamGreetingsHandler];
const eventHandlers = [LogGreetingWhenGreetedHandler];
const health = [HealthStatusRegistry];
const plumbing = [Clock, { provide: APP_FILTER, useClass: GrpcErrorFilter }];

@Module({
  imports: [CqrsModule.forRoot()],
  controllers: [...grpcControllers],
  providers: [...commandHandlers, ...eventHandlers, ...health, ...plumbing],
})
export class AppModule {}

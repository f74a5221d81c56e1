import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { CqrsModule } from '@nestjs/cqrs';
import { GREETER_CONFIG, type GreeterConfig } from './config/greeter.config';
import { GrpcErrorFilter } from './grpc/grpc-error.filter';
import { HealthGrpcController } from './health/health.grpc-controller';
import { HealthStatusRegistry } from './health/health-status.registry';
import { GreeterBroker } from './messaging/greeter-broker';
import { PublishGreetingWhenGreetedHandler } from './publish-greeting/publish-greeting-when-greeted.handler';
import { LogGreetingWhenGreetedHandler } from './say-hello/log-greeting-when-greeted.handler';
import { SayHelloAmqpController } from './say-hello/say-hello.amqp.controller';
import { SayHelloGrpcController } from './say-hello/say-hello.grpc-controller';
import { SayHelloHandler } from './say-hello/say-hello.handler';
import { Clock } from './shared/clock';
import { StreamGreetingsGrpcController } from './stream-greetings/stream-greetings.grpc-controller';
import { StreamGreetingsHandler } from './stream-greetings/stream-greetings.handler';

const grpcControllers = [SayHelloGrpcController, StreamGreetingsGrpcController, HealthGrpcController];
// The AMQP request/reply transport runs on the greeter's broker connection, not as a Nest strategy.
const amqpControllers = [SayHelloAmqpController];
const commandHandlers = [SayHelloHandler, StreamGreetingsHandler];
const eventHandlers = [LogGreetingWhenGreetedHandler, PublishGreetingWhenGreetedHandler];
const health = [HealthStatusRegistry];
const messaging = [GreeterBroker];
const plumbing = [Clock, { provide: APP_FILTER, useClass: GrpcErrorFilter }];

@Module({})
export class AppModule {
  /** The greeter's application module, configured by `config` (see loadGreeterConfig). */
  static register(config: GreeterConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [CqrsModule.forRoot()],
      controllers: [...grpcControllers],
      providers: [
        { provide: GREETER_CONFIG, useValue: config },
        ...amqpControllers,
        ...commandHandlers,
        ...eventHandlers,
        ...health,
        ...messaging,
        ...plumbing,
      ],
    };
  }
}

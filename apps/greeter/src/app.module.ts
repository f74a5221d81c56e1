import { Module, type DynamicModule } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { PlatformModule } from '@hello/platform';
import { GREETER_CONFIG, type GreeterConfig } from './config/greeter.config';
import { GreeterMetrics } from './health/greeter-metrics';
import { GreeterReadiness } from './health/greeter-readiness';
import { HealthGrpcController } from './health/health.grpc.controller';
import { HealthStatusRegistry } from './health/health-status.registry';
import { ServeWhileReady } from './health/serve-while-ready';
import { GreeterBroker } from './messaging/greeter-broker';
import { GreeterRpcServer } from './messaging/greeter-rpc-server';
import { PublishGreetingWhenGreetedHandler } from './publish-greeting/publish-greeting-when-greeted.handler';
import { LogGreetingWhenGreetedHandler } from './say-hello/log-greeting-when-greeted.handler';
import { SayHelloAmqpController } from './say-hello/say-hello.amqp.controller';
import { SayHelloGrpcController } from './say-hello/say-hello.grpc.controller';
import { SayHelloHandler } from './say-hello/say-hello.handler';
import { Clock } from './shared/clock';
import { StreamGreetingsGrpcController } from './stream-greetings/stream-greetings.grpc.controller';
import { StreamGreetingsHandler } from './stream-greetings/stream-greetings.handler';

const grpcControllers = [SayHelloGrpcController, StreamGreetingsGrpcController, HealthGrpcController];
// The AMQP request/reply transport (GreeterRpcServer) runs on the greeter's broker connection, not as
// a Nest strategy.
const amqpControllers = [SayHelloAmqpController];
const commandHandlers = [SayHelloHandler, StreamGreetingsHandler];
const eventHandlers = [LogGreetingWhenGreetedHandler, PublishGreetingWhenGreetedHandler];
const health = [GreeterReadiness, GreeterMetrics, HealthStatusRegistry, ServeWhileReady];
const messaging = [GreeterBroker, GreeterRpcServer];
const plumbing = [Clock];

@Module({})
export class AppModule {
  /** The greeter's application module, configured by `config` (see loadGreeterConfig). */
  static register(config: GreeterConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        // Config, logs, metrics (/metrics) and health (/health/live, /health/ready) on HTTP
        PlatformModule.forRoot({ service: 'greeter', platform: config.platform, config, configToken: GREETER_CONFIG }),
        CqrsModule.forRoot(),
      ],
      controllers: [...grpcControllers],
      providers: [...amqpControllers, ...commandHandlers, ...eventHandlers, ...health, ...messaging, ...plumbing],
    };
  }
}

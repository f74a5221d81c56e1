import { DynamicModule, Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { AmqpServer } from '@hello/messaging';
import { Metrics, PlatformModule } from '@hello/platform';
import { CONSUMER_CONFIG, ConsumerConfig } from './config/consumer.config';
import { AdminTokenGuard } from './dead-letters/admin-token.guard';
import { DeadLettersHttpController } from './dead-letters/dead-letters.http.controller';
import { ConsumerReadiness } from './health/consumer-readiness';
import { HandleMessageAmqpController } from './handle-message/handle-message.amqp.controller';
import { HandleMessageHandler } from './handle-message/handle-message.handler';
import { MessageHandledPublisher } from './handle-message/message-handled.publisher';
import { ConsumerBroker, createHelloServer } from './messaging/consumer-broker';

@Module({})
export class AppModule {
  static register(config: ConsumerConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        // Config, logs, metrics (/metrics) and health (/health/live, /health/ready)
        PlatformModule.forRoot({
          service: 'consumer',
          platform: config.platform,
          config,
          configToken: CONSUMER_CONFIG,
        }),
        CqrsModule.forRoot(),
      ],
      controllers: [
        // AMQP
        HandleMessageAmqpController,
        // HTTP
        DeadLettersHttpController,
      ],
      providers: [
        // Infrastructure. The AmqpServer is a provider of this root module so that its onModuleDestroy
        // (stop consuming, drain in-flight messages) runs before anything it uses is torn down.
        {
          provide: AmqpServer,
          useFactory: createHelloServer,
          inject: [CONSUMER_CONFIG, Metrics],
        },
        ConsumerBroker,
        ConsumerReadiness,
        MessageHandledPublisher,
        AdminTokenGuard,
        // Command handlers
        HandleMessageHandler,
      ],
    };
  }
}

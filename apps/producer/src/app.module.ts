import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { CqrsModule } from '@nestjs/cqrs';
import { PlatformModule } from '@hello/platform';
import { PRODUCER_CONFIG, ProducerConfig } from './config/producer.config';
import { GreetHandler } from './greet/greet.handler';
import { GreetHttpController } from './greet/greet.http.controller';
import { ProducerMetrics } from './health/producer-metrics';
import { ProducerReadiness } from './health/producer-readiness';
import { ProducerHttpErrorFilter } from './http/http-error.filter';
import { GREETER_RPC_CLIENT, HELLO_QUEUE_CLIENT, ProducerBroker } from './messaging/producer-broker';
import { PublishMessageHandler } from './publish-message/publish-message.handler';
import { PublishMessageHttpController } from './publish-message/publish-message.http.controller';

@Module({})
export class AppModule {
  static register(config: ProducerConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        // Config, logs, metrics (/metrics) and health (/health/live, /health/ready)
        PlatformModule.forRoot({
          service: 'producer',
          platform: config.platform,
          config,
          configToken: PRODUCER_CONFIG,
        }),
        CqrsModule.forRoot(),
      ],
      controllers: [PublishMessageHttpController, GreetHttpController],
      providers: [
        // Infrastructure
        ProducerBroker,
        // Health and metrics
        ProducerReadiness,
        ProducerMetrics,
        {
          provide: HELLO_QUEUE_CLIENT,
          useFactory: (broker: ProducerBroker) => broker.client,
          inject: [ProducerBroker],
        },
        {
          provide: GREETER_RPC_CLIENT,
          useFactory: (broker: ProducerBroker) => broker.greeterRpc,
          inject: [ProducerBroker],
        },
        { provide: APP_FILTER, useClass: ProducerHttpErrorFilter },
        // Command handlers
        PublishMessageHandler,
        GreetHandler,
      ],
    };
  }
}

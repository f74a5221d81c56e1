import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { CqrsModule } from '@nestjs/cqrs';
import { PRODUCER_CONFIG, ProducerConfig } from './config/producer.config';
import { GetHealthHandler } from './health/get-health.handler';
import { HealthHttpController } from './health/health.http.controller';
import { GreetHandler } from './greet/greet.handler';
import { GreetHttpController } from './greet/greet.http.controller';
import { HttpErrorFilter } from './http/http-error.filter';
import {
  GREETER_RPC_CLIENT,
  HELLO_QUEUE_CLIENT,
  ProducerBroker,
} from './messaging/producer-broker';
import { PublishMessageHandler } from './publish-message/publish-message.handler';
import { PublishMessageHttpController } from './publish-message/publish-message.http.controller';

@Module({})
export class AppModule {
  static register(config: ProducerConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [CqrsModule.forRoot()],
      controllers: [
        PublishMessageHttpController,
        GreetHttpController,
        HealthHttpController,
      ],
      providers: [
        // Configuration and infrastructure
        { provide: PRODUCER_CONFIG, useValue: config },
        ProducerBroker,
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
        { provide: APP_FILTER, useClass: HttpErrorFilter },
        // Command handlers
        PublishMessageHandler,
        GreetHandler,
        // Query handlers
        GetHealthHandler,
      ],
    };
  }
}

import { DynamicModule, Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { AmqpServer } from '@hello/messaging';
import { CONSUMER_CONFIG, ConsumerConfig } from './config/consumer.config';
import { AdminTokenGuard } from './dead-letters/admin-token.guard';
import { DeadLettersHttpController } from './dead-letters/dead-letters.http.controller';
import { HandleMessageAmqpController } from './handle-message/handle-message.amqp.controller';
import { HandleMessageHandler } from './handle-message/handle-message.handler';
import { MessageHandledPublisher } from './handle-message/message-handled.publisher';
import { GetHealthHandler } from './health/get-health.handler';
import { HealthHttpController } from './health/health.http.controller';
import { ConsumerBroker, createHelloServer } from './messaging/consumer-broker';
import { ConsumerMetrics } from './metrics/consumer-metrics';
import { CountMessageWhenHandledHandler } from './metrics/count-message-when-handled.handler';
import { GetMetricsHandler } from './metrics/get-metrics.handler';
import { MetricsHttpController } from './metrics/metrics.http.controller';

@Module({})
export class AppModule {
  static register(config: ConsumerConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [CqrsModule.forRoot()],
      controllers: [
        // AMQP
        HandleMessageAmqpController,
        // HTTP
        HealthHttpController,
        MetricsHttpController,
        DeadLettersHttpController,
      ],
      providers: [
        // Configuration and infrastructure. The AmqpServer is a provider of this root module so that
        // its onModuleDestroy (stop consuming, drain in-flight messages) runs before anything it uses
        // is torn down.
        { provide: CONSUMER_CONFIG, useValue: config },
        {
          provide: AmqpServer,
          useFactory: createHelloServer,
          inject: [CONSUMER_CONFIG],
        },
        ConsumerBroker,
        MessageHandledPublisher,
        ConsumerMetrics,
        AdminTokenGuard,
        // Command handlers
        HandleMessageHandler,
        // Event handlers
        CountMessageWhenHandledHandler,
        // Query handlers
        GetHealthHandler,
        GetMetricsHandler,
      ],
    };
  }
}

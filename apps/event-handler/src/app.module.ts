import { AmqpServer } from '@hello/messaging';
import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { CqrsModule } from '@nestjs/cqrs';
import { Metrics as PlatformMetrics, PlatformModule } from '@hello/platform';
import { EVENT_HANDLER_CONFIG, type EventHandlerConfig } from './config/event-handler.config';
import { EventHandlerDatabase } from './database/event-handler-database';
import { CountGreetingAmqpController } from './count-greeting/count-greeting.amqp.controller';
import { CountGreetingWhenGreeted } from './count-greeting/count-greeting-when-greeted.projector';
import { LogGreetingWhenCountedHandler } from './count-greeting/log-greeting-when-counted.handler';
import { EventHandlerMetrics } from './health/event-handler-metrics';
import { EventHandlerReadiness } from './health/event-handler-readiness';
import { CountLineAmqpController } from './line-echo/count-line.amqp.controller';
import { CountLineWhenReceived } from './line-echo/count-line-when-received.projector';
import { createLineServer } from './line-echo/create-line-server';
import { LineEchoTcpController } from './line-echo/line-echo.tcp.controller';
import { LineServer } from './line-echo/line-server';
import { LogLineWhenCountedHandler } from './line-echo/log-line-when-counted.handler';
import { PublishLineReceivedHandler } from './line-echo/publish-line-received.handler';
import { createAmqpServer, EventHandlerBroker } from './messaging/event-handler-broker';
import { MESSAGE_PUBLISHER } from './messaging/message-publisher';
import { OutboxRelay } from './outbox/outbox-relay';
import { OutboxStore } from './outbox/outbox-store';
import { ApplyIntegrationEventHandler } from './projections/apply-integration-event.handler';
import { InboxPruner } from './projections/inbox-pruner';
import { ProjectionStore } from './projections/projection-store';
import { PROJECTORS } from './projections/projector';
import { LogMessageWhenRecordedHandler } from './record-message/log-message-when-recorded.handler';
import { RecordMessageAmqpController } from './record-message/record-message.amqp.controller';
import { RecordMessageWhenHandled } from './record-message/record-message-when-handled.projector';
import { CountGreetingsByHour } from './greetings-by-hour/count-greetings-by-hour.projection';
import { GetGreetingsByHourHandler } from './greetings-by-hour/get-greetings-by-hour.handler';
import { GreetingsByHourHttpController } from './greetings-by-hour/greetings-by-hour.http.controller';
import { LOG_PROJECTIONS } from './log-projections/log-projection';
import { LogProjectionRunner } from './log-projections/log-projection-runner';
import { LogProjectionStore } from './log-projections/log-projection-store';
import { ProjectionsHttpController } from './log-projections/projections.http.controller';
import { ProjectionRebuilder } from './rebuild/projection-rebuilder';
import { GetGreetingHandler } from './stats/get-greeting.handler';
import { GetStatsHandler } from './stats/get-stats.handler';
import { EventHandlerHttpErrorFilter } from './stats/http-error.filter';
import { StatsHttpController } from './stats/stats.http.controller';
import { SendWelcomeMessageHandler } from './welcome-new-name/send-welcome-message.handler';
import { WelcomeNewNameSaga } from './welcome-new-name/welcome-new-name.saga';

const projectors = [CountGreetingWhenGreeted, RecordMessageWhenHandled, CountLineWhenReceived];
/** Projections fed from the event log (they backfill on their first start). */
const logProjections = [CountGreetingsByHour];

@Module({})
export class AppModule {
  static register(config: EventHandlerConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        // Config, logs, metrics (/metrics) and health (/health/live, /health/ready)
        PlatformModule.forRoot({
          service: 'event-handler',
          platform: config.platform,
          config,
          configToken: EVENT_HANDLER_CONFIG,
        }),
        CqrsModule.forRoot(),
      ],
      controllers: [
        // AMQP: integration events from event-handler.events
        CountGreetingAmqpController,
        RecordMessageAmqpController,
        CountLineAmqpController,
        // TCP: the line echo
        LineEchoTcpController,
        // HTTP: queries (greetings/by-hour before greetings/:name)
        GreetingsByHourHttpController,
        StatsHttpController,
        ProjectionsHttpController,
      ],
      providers: [
        // Infrastructure
        // PostgreSQL with EVENT_HANDLER_DATABASE_URL, else the SQLite file; migrated on open
        {
          provide: EventHandlerDatabase,
          useFactory: (c: EventHandlerConfig) => EventHandlerDatabase.open(c),
          inject: [EVENT_HANDLER_CONFIG],
        },
        {
          provide: OutboxStore,
          useFactory: (d: EventHandlerDatabase) => new OutboxStore(d),
          inject: [EventHandlerDatabase],
        },
        {
          provide: ProjectionStore,
          useFactory: (d: EventHandlerDatabase, o: OutboxStore) => new ProjectionStore(d, o),
          inject: [EventHandlerDatabase, OutboxStore],
        },
        {
          provide: LogProjectionStore,
          useFactory: (d: EventHandlerDatabase) => new LogProjectionStore(d),
          inject: [EventHandlerDatabase],
        },
        EventHandlerBroker,
        { provide: MESSAGE_PUBLISHER, useExisting: EventHandlerBroker },
        EventHandlerMetrics,
        EventHandlerReadiness,
        { provide: APP_FILTER, useClass: EventHandlerHttpErrorFilter },
        // Transports: strategies given to connectMicroservice, and providers of this (root) module
        // so that they stop taking work and drain before the CQRS buses are torn down.
        { provide: AmqpServer, useFactory: createAmqpServer, inject: [EVENT_HANDLER_CONFIG, PlatformMetrics] },
        { provide: LineServer, useFactory: createLineServer, inject: [EVENT_HANDLER_CONFIG, EventHandlerMetrics] },
        // Projectors: run inside the inbox transaction of ApplyIntegrationEventHandler
        ...projectors,
        { provide: PROJECTORS, useFactory: (...all: unknown[]) => all, inject: projectors },
        // Log projections: fed from hello.events.log, outside the inbox, the saga and the outbox
        ...logProjections,
        { provide: LOG_PROJECTIONS, useFactory: (...all: unknown[]) => all, inject: logProjections },
        LogProjectionRunner,
        // Rebuilds from the event log (POST /projections/rebuild)
        ProjectionRebuilder,
        // Command handlers
        ApplyIntegrationEventHandler,
        PublishLineReceivedHandler,
        SendWelcomeMessageHandler,
        // Query handlers
        GetStatsHandler,
        GetGreetingHandler,
        GetGreetingsByHourHandler,
        // Event handlers (after the commit)
        LogGreetingWhenCountedHandler,
        LogMessageWhenRecordedHandler,
        LogLineWhenCountedHandler,
        // Sagas
        WelcomeNewNameSaga,
        // Outbox, inbox retention
        OutboxRelay,
        InboxPruner,
      ],
    };
  }
}

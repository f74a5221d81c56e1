import { Topology } from '@hello/contracts';
import { AmqpServer, type SettledDelivery } from '@hello/messaging';
import { AmqpTestClient, createTestVhost, testLogEnv, type TestVhost, waitFor } from '@hello/testing';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Test, type TestingModuleBuilder } from '@nestjs/testing';
import type { Options } from 'amqplib';
import { AppModule } from '../../src/app.module';
import { type EventHandlerConfig, loadConfig } from '../../src/config/event-handler.config';
import type { DatabaseDialect } from '../../src/database/event-handler-database';
import { type EventHandlerApp, startEventHandlerApp } from '../../src/event-handler.app';
import { createTestDatabaseLocation, type TestDatabaseLocation } from './test-databases';

/**
 * One event-handler for a spec: its own vhost on the test broker, its own database (a SQLite file
 * in a data folder of its own by default, or a database of its own on the test PostgreSQL), free
 * ports, and a plain amqplib client to publish events and read queues the way any client would.
 * `start` may be called again after `stop` to restart on the same data.
 */
export class EventHandlerHarness {
  readonly settled: SettledDelivery[] = [];
  private current: EventHandlerApp | undefined;

  private constructor(
    readonly vhost: TestVhost,
    readonly database: TestDatabaseLocation,
    readonly config: EventHandlerConfig,
    readonly amqp: AmqpTestClient,
  ) {}

  static async create(
    env: Record<string, string> = {},
    dialect: DatabaseDialect = 'sqlite',
  ): Promise<EventHandlerHarness> {
    const vhost = await createTestVhost('event-handler');
    const database = await createTestDatabaseLocation(dialect, 'event_handler_e2e');
    const config = loadConfig({
      ...testLogEnv(),
      RABBITMQ_URL: vhost.url,
      EVENT_HANDLER_HOST: '127.0.0.1',
      EVENT_HANDLER_HTTP_PORT: '0',
      EVENT_HANDLER_TCP_PORT: '0',
      ...database.env,
      EVENT_HANDLER_RETRY_DELAYS_MS: '50,100',
      EVENT_HANDLER_OUTBOX_RETRY_MS: '100',
      EVENT_HANDLER_SHUTDOWN_GRACE_MS: '3000',
      EVENT_HANDLER_PUBLISH_TIMEOUT_MS: '3000',
      ...env,
    });
    return new EventHandlerHarness(vhost, database, config, await AmqpTestClient.connect(vhost.url));
  }

  get eventHandler(): EventHandlerApp {
    if (!this.current) throw new Error('the event-handler is not running');
    return this.current;
  }

  /** Starts the app as main.ts does; `override` may replace providers (test-only failures). */
  async start(override: (builder: TestingModuleBuilder) => TestingModuleBuilder = (b) => b): Promise<EventHandlerApp> {
    const moduleRef = await override(
      Test.createTestingModule({ imports: [AppModule.register(this.config)] }),
    ).compile();
    const app = moduleRef.createNestApplication<NestExpressApplication>({ logger: ['fatal', 'error'] });
    app.get(AmqpServer).on('settled', (delivery: SettledDelivery) => this.settled.push(delivery));
    this.current = await startEventHandlerApp(app, this.config);
    return this.current;
  }

  async stop(): Promise<void> {
    await this.current?.close();
    this.current = undefined;
  }

  async dispose(): Promise<void> {
    await this.stop();
    await this.amqp.close();
    await this.vhost.delete().catch(() => undefined);
    await this.database.dispose();
  }

  /** Publishes to `hello.events` as a publisher of integration events would, confirmed. */
  async publishEvent(
    type: string,
    body: unknown,
    properties: Options.Publish = {},
    routingKey = type.replace(/\.v\d+$/, ''),
  ): Promise<void> {
    const eventId = (body as { eventId?: unknown } | null)?.eventId;
    await this.amqp.publish(
      routingKey,
      typeof body === 'string' ? body : JSON.stringify(body),
      {
        type,
        messageId: typeof eventId === 'string' ? eventId : undefined,
        contentType: 'application/json',
        persistent: true,
        ...properties,
      },
      Topology.eventsExchange,
    );
  }

  async get<T = unknown>(path: string): Promise<{ status: number; body: T; contentType: string | null }> {
    const response = await fetch(`http://127.0.0.1:${this.eventHandler.httpPort}${path}`);
    const contentType = response.headers.get('content-type');
    const text = await response.text();
    const body = (contentType?.includes('json') ? JSON.parse(text) : text) as T;
    return { status: response.status, body, contentType };
  }

  /** Waits until `messageId` has been settled `times` times by the consumer. */
  async settlementsOf(messageId: string, times = 1): Promise<SettledDelivery[]> {
    return waitFor(
      () => {
        const found = this.settled.filter((s) => s.messageId === messageId);
        return found.length >= times ? found : undefined;
      },
      { timeoutMs: 10_000, message: `${times} settlement(s) of ${messageId}` },
    );
  }

  async greetingCount(name: string): Promise<number> {
    const { status, body } = await this.get<{ count: number }>(`/greetings/${encodeURIComponent(name)}`);
    return status === 200 ? body.count : 0;
  }
}

import { Logger, OnModuleDestroy } from '@nestjs/common';
import { CustomTransportStrategy, MessageHandler, Server } from '@nestjs/microservices';
import type { Span } from '@opentelemetry/api';
import type { ChannelWrapper } from 'amqp-connection-manager';
import type { ConfirmChannel, ConsumeMessage } from 'amqplib';
import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import { isObservable, lastValueFrom } from 'rxjs';
import { ContractViolation } from '@hello/contracts';
import { checkRetryOptions, RetryOptions } from '../config/retry-options';
import { AmqpConnection } from '../connection/amqp-connection';
import { AmqpTlsFiles } from '../config/tls';
import { assertTopology, declareTopology } from '../topology/declare-topology';
import { RateLimitedLog } from '../logging/rate-limited-log';
import { consumerTopology, mergeTopologies, QueueBinding, TopologySpec } from '../topology/topology';
import { AmqpContext } from './amqp-context';
import { AmqpPatternExtras } from './amqp-pattern.decorator';
import { decodeBody } from './decode-body';
import { decideDelivery, describeError, HandlingOutcome, outcomeOfError } from './delivery-policy';
import { InFlight } from './in-flight';
import { QueueConsumers } from './queue-consumers';
import { deduplicationKeyOf, ProcessedMessages } from './processed-messages';
import { SerialPerKey } from './serial-per-key';
import { reportSettlement, SettledDelivery } from './settled-delivery';
import { Settlement } from './settlement';
import { failSpan, withProcessSpan } from '../tracing/amqp-spans';

/** Transport id of AmqpServer (`@EventPattern(type, AMQP_TRANSPORT)` binds a handler to it alone). */
export const AMQP_TRANSPORT = Symbol('AMQP');

/** How long `listen` waits for the broker at start-up. */
const CONNECT_TIMEOUT_MS = 30_000;

export interface AmqpServerOptions {
  readonly url: string;
  /** TLS files of `url` when it is amqps: (see readAmqpTls). */
  readonly tls?: AmqpTlsFiles;
  /** `connection_name` of the server's own connection. Default `<queue>.consumer`. */
  readonly connectionName?: string;
  readonly queue: string;
  /** Unacked messages in flight at once (basic.qos per consumer). */
  readonly prefetch: number;
  readonly retry: RetryOptions;
  /** Topic exchanges (declared durable) and routing keys the queue is bound to. */
  readonly bindings?: readonly QueueBinding[];
  /** Pattern of messages without an AMQP `type` (e.g. `hello.message.v1` for tutorial clients). */
  readonly defaultPattern?: string;
  /** How many finished message ids to remember for de-duplication. Default 10000; 0 turns it off. */
  readonly deduplicationCapacity?: number;
  /** How long shutdown waits for in-flight messages. Default 30000. */
  readonly drainTimeoutMs?: number;
  /** More to declare at start-up and after each reconnect (e.g. exchanges the handlers publish to). */
  readonly topology?: TopologySpec;
}

export type AmqpServerStatus = 'connected' | 'disconnected';

type AmqpServerEvents = {
  settled: (delivery: SettledDelivery) => void;
};

/**
 * A NestJS transport strategy that consumes one RabbitMQ work queue with manual acks.
 *
 * At start-up it declares its topology (durable quorum work queue with dead-lettering and a delivery
 * limit, dead-letter queue, retry delay queues, bindings) on a dedicated channel, so that a queue
 * declared elsewhere with other arguments fails start-up with an ArgumentMismatchError naming the
 * argument. Each message goes to the handler registered with `@AmqpPattern(type)` (or
 * `@EventPattern(type)`) for its AMQP `type`; the result is settled by `decideDelivery`, the one
 * ack/retry/dead-letter policy. After a reconnect it declares and consumes again; deliveries of a dead
 * channel are never acked (the broker redelivers them, and de-duplication by messageId absorbs the
 * repeat). On shutdown it cancels its consumer, finishes and settles what is in flight, then closes.
 */
export class AmqpServer
  extends Server<AmqpServerEvents, AmqpServerStatus>
  implements CustomTransportStrategy, OnModuleDestroy
{
  override transportId = AMQP_TRANSPORT;
  protected override readonly logger = new Logger(AmqpServer.name);
  /** Failures repeat per message during an outage; identical ones are written once per window. */
  private readonly log = new RateLimitedLog(this.logger);
  /** Everything the server declares. */
  readonly topology: TopologySpec;
  private connection?: AmqpConnection;
  private channel?: ChannelWrapper;
  private readonly consumers = new QueueConsumers();
  private readonly inFlight = new InFlight();
  private readonly oneAtATime = new SerialPerKey();
  private readonly processed: ProcessedMessages;
  private readonly settlement: Settlement;
  private readonly events = new EventEmitter();
  private draining?: Promise<void>;
  private settledWhileDraining = 0;
  private closing?: Promise<void>;

  constructor(private readonly options: AmqpServerOptions) {
    super();
    checkRetryOptions(options.retry);
    this.topology = mergeTopologies(
      consumerTopology(options.queue, {
        retry: options.retry,
        bindings: options.bindings,
      }),
      options.topology ?? { exchanges: [], queues: [], bindings: [] },
    );
    this.processed = new ProcessedMessages(options.deduplicationCapacity ?? 10_000);
    this.settlement = new Settlement({
      topology: this.topology,
      connection: () => this.connection,
      isOpen: (channel) => this.consumers.isOpen(channel),
      log: this.log,
    });
  }

  listen(callback: (error?: unknown) => void): void {
    this.start().then(
      () => callback(),
      (error: unknown) => callback(error),
    );
  }

  /** Connected to the broker with a consumer on the queue. */
  isConsuming(): boolean {
    return !!this.connection?.isConnected() && this.consumers.consuming && !this.draining;
  }

  /**
   * The reason while the broker blocks the server's connection (a resource alarm: its retry and
   * dead-letter copies wait unconfirmed, so messages stop being settled), else undefined.
   */
  get blocked(): string | undefined {
    return this.connection?.blocked;
  }

  get queue(): string {
    return this.options.queue;
  }

  /** Messages being handled or settled right now. */
  get inFlightCount(): number {
    return this.inFlight.size;
  }

  on<K extends keyof AmqpServerEvents>(event: K, callback: AmqpServerEvents[K]): void {
    this.events.on(event as string, callback as (...args: unknown[]) => void);
  }

  unwrap<T>(): T {
    if (!this.connection) throw new Error('AmqpServer is not listening');
    return this.connection.manager as T;
  }

  /**
   * Stops taking new messages (cancels the consumer) and waits until the ones in flight are handled and
   * settled, for at most `drainTimeoutMs`. Runs before other providers are destroyed when the server is
   * registered as a provider of the root module; `close()` runs it too.
   */
  drain(): Promise<void> {
    this.draining ??= this.drainInFlight();
    return this.draining;
  }

  async onModuleDestroy(): Promise<void> {
    if (this.channel) await this.drain();
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.channel) await this.drain();
      await this.channel?.close().catch(() => undefined);
      await this.connection?.close();
      this._status$.next('disconnected');
    })();
    return this.closing;
  }

  private async start(): Promise<void> {
    const { queue } = this.options;
    this.connection = new AmqpConnection({
      url: this.options.url,
      tls: this.options.tls,
      connectionName: this.options.connectionName ?? `${queue}.consumer`,
    });
    await this.connection.connect(CONNECT_TIMEOUT_MS);
    this.connection.manager.on('disconnect', () => this._status$.next('disconnected'));
    await assertTopology(this.connection, this.topology);
    this.channel = this.connection.createChannel({
      name: `${queue}.consumer`,
      setup: (channel) => this.setUpChannel(channel),
    });
    await this.channel.waitForConnect();
    const handlers = [...this.messageHandlers.keys()].join(', ') || 'none';
    this.logger.log(`consuming '${queue}' (prefetch ${this.options.prefetch}; handlers: ${handlers})`);
  }

  /** Runs on every new channel: declare again (after a broker restart), then consume. */
  private async setUpChannel(channel: ConfirmChannel): Promise<void> {
    await declareTopology(channel, this.topology);
    if (this.draining) return;
    this.settlement.watch(channel);
    await this.consumers.consume(channel, this.options.queue, this.options.prefetch, (c, message) =>
      this.onDelivery(c, message),
    );
    this._status$.next('connected');
  }

  private onDelivery(channel: ConfirmChannel, message: ConsumeMessage | null): void {
    if (message === null) {
      // The broker cancelled the consumer (e.g. the queue was deleted): re-open to declare it again.
      this.logger.warn(`the broker cancelled the consumer of '${this.options.queue}'; reconnecting`);
      this.consumers.cancelledByBroker(channel);
      if (!this.draining) setTimeout(() => this.connection?.manager.reconnect(), 1000).unref();
      return;
    }
    const task = this.handleDelivery(channel, message).catch((error: unknown) =>
      this.logger.error(`unexpected failure while settling a message: ${describeError(error)}`),
    );
    this.inFlight.track(task);
  }

  private async handleDelivery(channel: ConfirmChannel, message: ConsumeMessage): Promise<void> {
    const dedupKey = deduplicationKeyOf(message);
    // A message without a publisher id gets an id of its own here (kept by its retry and dead-letter
    // copies).
    const messageId = (message.properties.messageId as string | undefined) || `${randomUUID()}`;
    const pattern = message.properties.type || this.options.defaultPattern || '';
    const context = new AmqpContext(message, pattern, messageId);
    if (!dedupKey) {
      await this.processAndSettle(channel, context, undefined);
      return;
    }
    await this.oneAtATime.run(dedupKey, () => this.processAndSettle(channel, context, dedupKey));
  }

  /** Handles and settles one delivery inside its CONSUMER span (a child of its publisher's span). */
  private processAndSettle(channel: ConfirmChannel, context: AmqpContext, dedupKey: string | undefined): Promise<void> {
    return withProcessSpan(this.options.queue, context.getMessage(), context.messageId, (span) =>
      this.processAndSettleInSpan(channel, context, dedupKey, span),
    );
  }

  private async processAndSettleInSpan(
    channel: ConfirmChannel,
    context: AmqpContext,
    dedupKey: string | undefined,
    span: Span,
  ): Promise<void> {
    const started = performance.now();
    const outcome = await this.process(context, dedupKey);
    if (outcome.kind === 'failed') failSpan(span, outcome.error);
    else if (outcome.kind === 'rejected') failSpan(span, new Error(`${outcome.reason}: ${outcome.detail}`));
    const action = decideDelivery(outcome, {
      queue: this.options.queue,
      attempt: context.attempt,
      retry: this.options.retry,
    });
    span.setAttribute('messaging.hello.outcome', outcome.kind === 'duplicate' ? 'duplicate' : action.kind);
    // The common case, an ack, is settled without waiting for anything.
    const result =
      action.kind === 'ack'
        ? { copied: false, acked: this.settlement.ack(channel, context.getMessage()) }
        : await this.settlement.copyThenAck(channel, context, action);
    if (dedupKey && (outcome.kind === 'handled' || (action.kind === 'dead-letter' && result.copied))) {
      this.processed.add(dedupKey);
    }
    const settled = reportSettlement(
      this.logger,
      this.log,
      context,
      outcome,
      action,
      result,
      performance.now() - started,
    );
    if (this.draining) this.settledWhileDraining++;
    this.events.emit('settled', settled);
  }

  private async process(context: AmqpContext, dedupKey: string | undefined): Promise<HandlingOutcome> {
    if (dedupKey && this.processed.has(dedupKey)) return { kind: 'duplicate' };
    try {
      const body = decodeBody(context.getMessage());
      const pattern = context.getPattern();
      const handler = pattern ? this.handlerFor(pattern) : null;
      if (!handler) {
        throw new ContractViolation(
          'unknown-type',
          context.type
            ? `no handler for message type "${context.type}"`
            : 'the message has no type and no default pattern applies',
          'type',
        );
      }
      const decode = (handler.extras as AmqpPatternExtras | undefined)?.decode;
      const payload = decode ? decode(body) : body;
      await this.invoke(handler, payload, context);
      return { kind: 'handled' };
    } catch (error) {
      return outcomeOfError(error);
    }
  }

  /**
   * Nest's getHandlerByPattern first tries JSON.parse on the pattern, which throws (slowly) for a
   * type such as `hello.message.v1`; a handler registered under exactly that string is looked up
   * directly.
   */
  private handlerFor(pattern: string): MessageHandler | null {
    return this.messageHandlers.get(pattern) ?? this.getHandlerByPattern(pattern);
  }

  private async invoke(handler: MessageHandler, payload: unknown, context: AmqpContext): Promise<void> {
    // Several `@EventPattern`s of one type form a chain (`handler.next`) that Nest's event handler
    // runs itself: calling the first runs them all and fails when any fails.
    const result: unknown = await handler(payload, context);
    if (isObservable(result)) await lastValueFrom(result, { defaultValue: undefined });
  }

  private async drainInFlight(): Promise<void> {
    const timeoutMs = this.options.drainTimeoutMs ?? 30_000;
    const inFlightAtCancel = this.inFlight.size;
    await this.consumers.cancelAll();
    // Deliveries already on the wire when the cancel was sent have joined the in-flight set meanwhile.
    this.logger.log(
      `consumer cancelled; draining the messages in flight (${inFlightAtCancel} at the cancel, ${this.inFlight.size} now)`,
    );
    if (!(await this.inFlight.drained(timeoutMs))) {
      this.logger.warn(
        `${this.inFlight.size} message(s) still in flight after ${timeoutMs} ms; the broker will redeliver them`,
      );
    } else {
      this.logger.log(`in-flight messages drained (${this.settledWhileDraining} settled since the cancel)`);
    }
  }
}

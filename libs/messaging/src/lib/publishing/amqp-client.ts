import { ClientProxy, ReadPacket, WritePacket } from '@nestjs/microservices';
import { randomUUID } from 'node:crypto';
import { ConfirmedPublisher } from './confirmed-publisher';

/** Where and how `AmqpClient.emit` publishes one message; wrap the body in it to set message metadata. */
export class AmqpRecord<T extends object | string = object | string> {
  constructor(
    readonly body: T,
    readonly options: {
      /** Default: a new uuid. Pass a stable id to let consumers de-duplicate re-sends. */
      readonly messageId?: string;
      readonly correlationId?: string;
      readonly headers?: Readonly<Record<string, unknown>>;
      /** Overrides the client's exchange / routing key for this message. */
      readonly exchange?: string;
      readonly routingKey?: string;
    } = {},
  ) {}
}

export interface AmqpClientOptions {
  readonly publisher: ConfirmedPublisher;
  /** Default exchange of emitted messages; `''` routes by queue name. */
  readonly exchange: string;
  /** Default routing key (the queue name for the default exchange). */
  readonly routingKey: string;
  /** Fail emits that reach no queue (see OutgoingMessage.mandatory). */
  readonly mandatory?: boolean;
}

export type AmqpClientStatus = 'connected' | 'disconnected';

/**
 * A NestJS transport client that publishes each `emit(pattern, data)` as one persistent AMQP message
 * whose `type` is the pattern and whose body is `data` (or an AmqpRecord's body), and completes only
 * when the broker has confirmed it. Unlike ClientRMQ it sets AMQP properties per message (messageId,
 * type, correlationId, headers) and waits for the publisher confirm.
 *
 * Request-response (`send`) is not offered: the work queue is fire-and-forget by design.
 */
export class AmqpClient extends ClientProxy<Record<never, never>, AmqpClientStatus> {
  constructor(private readonly options: AmqpClientOptions) {
    super();
  }

  /** Nothing to wait for: the publisher connects and retries by itself (bounded by its timeout). */
  async connect(): Promise<void> {
    return undefined;
  }

  async close(): Promise<void> {
    await this.options.publisher.close();
  }

  unwrap<T>(): T {
    return this.options.publisher as T;
  }

  protected publish(_packet: ReadPacket, callback: (packet: WritePacket) => void): () => void {
    callback({
      err: new Error('AmqpClient supports emit() only: the work queue carries no replies'),
      isDisposed: true,
    });
    return () => undefined;
  }

  protected async dispatchEvent<T = undefined>(packet: ReadPacket): Promise<T> {
    const record = packet.data instanceof AmqpRecord ? packet.data : new AmqpRecord(packet.data as object);
    await this.options.publisher.publish({
      exchange: record.options.exchange ?? this.options.exchange,
      routingKey: record.options.routingKey ?? this.options.routingKey,
      body: record.body,
      messageId: record.options.messageId ?? randomUUID(),
      type: this.normalizePattern(packet.pattern),
      correlationId: record.options.correlationId,
      headers: record.options.headers,
      mandatory: this.options.mandatory,
    });
    return undefined as T;
  }
}

import {
  connect,
  type ChannelModel,
  type ConfirmChannel,
  type ConsumeMessage,
  type GetMessage,
  type Options,
} from 'amqplib';

/**
 * A plain amqplib client for tests: what any AMQP client (the tutorial's pika, a Java app) would do,
 * without the project's messaging library in between.
 */
export class AmqpTestClient {
  private constructor(
    private readonly connection: ChannelModel,
    readonly channel: ConfirmChannel,
  ) {}

  static async connect(url: string): Promise<AmqpTestClient> {
    const connection = await connect(url);
    // A broker restart in a test closes the connection; that must not crash the test run.
    connection.on('error', () => undefined);
    const channel = await connection.createConfirmChannel();
    channel.on('error', () => undefined);
    return new AmqpTestClient(connection, channel);
  }

  /** Publishes and waits for the broker's confirm. `exchange` '' routes by queue name. */
  async publish(
    routingKey: string,
    body: string | Buffer,
    properties: Options.Publish = {},
    exchange = '',
  ): Promise<void> {
    await new Promise<void>((resolve, reject) =>
      this.channel.publish(exchange, routingKey, Buffer.from(body), properties, (error) =>
        error ? reject(error) : resolve(),
      ),
    );
  }

  /** Gets (and acks) exactly `count` messages, waiting up to `timeoutMs`; throws when fewer arrive. */
  async get(queue: string, count: number, timeoutMs = 5_000): Promise<GetMessage[]> {
    const messages: GetMessage[] = [];
    const deadline = Date.now() + timeoutMs;
    while (messages.length < count) {
      const message = await this.channel.get(queue, { noAck: false });
      if (message) {
        this.channel.ack(message);
        messages.push(message);
      } else if (Date.now() >= deadline) {
        throw new Error(`expected ${count} message(s) on '${queue}' within ${timeoutMs} ms, got ${messages.length}`);
      } else {
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    }
    return messages;
  }

  /**
   * Consumes (and acks) everything on `queue` until it has stayed empty for `idleMs`. Uses a consumer,
   * not basic.get, which is slow on quorum queues.
   */
  async drain(queue: string, idleMs = 300): Promise<ConsumeMessage[]> {
    const channel = await this.connection.createChannel();
    try {
      await channel.prefetch(500);
      const messages: ConsumeMessage[] = [];
      let lastAt = Date.now();
      await channel.consume(queue, (message) => {
        if (!message) return;
        messages.push(message);
        channel.ack(message);
        lastAt = Date.now();
      });
      while (Date.now() - lastAt < idleMs) await new Promise((resolve) => setTimeout(resolve, 25));
      return messages;
    } finally {
      await channel.close().catch(() => undefined);
    }
  }

  /**
   * Consumes `queue` (acking each message) into the returned array, which fills up as messages
   * arrive; pair it with `waitFor`.
   */
  async collect(queue: string): Promise<ConsumeMessage[]> {
    const messages: ConsumeMessage[] = [];
    await this.channel.consume(queue, (message) => {
      if (!message) return;
      messages.push(message);
      this.channel.ack(message);
    });
    return messages;
  }

  /** A durable quorum queue bound to a durable topic exchange (e.g. to collect integration events). */
  async bindQueue(queue: string, exchange: string, routingKey: string): Promise<void> {
    await this.channel.assertExchange(exchange, 'topic', { durable: true });
    await this.channel.assertQueue(queue, {
      durable: true,
      arguments: { 'x-queue-type': 'quorum' },
    });
    await this.channel.bindQueue(queue, exchange, routingKey);
  }

  async close(): Promise<void> {
    await this.connection.close().catch(() => undefined);
  }
}

/** Gets (and acks) exactly `count` messages from `queue` with a raw amqplib channel. */
export async function getMessages(url: string, queue: string, count: number, timeoutMs = 5_000): Promise<GetMessage[]> {
  const client = await AmqpTestClient.connect(url);
  try {
    return await client.get(queue, count, timeoutMs);
  } finally {
    await client.close();
  }
}

/** The body of a message as UTF-8 text, or parsed as JSON. */
export function textOf(message: { content: Buffer }): string {
  return message.content.toString('utf8');
}

export function jsonOf<T = unknown>(message: { content: Buffer }): T {
  return JSON.parse(textOf(message)) as T;
}

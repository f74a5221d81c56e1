import { connect, type ChannelModel, type ConfirmChannel, type GetMessage, type Options } from 'amqplib';
import { MessageHeaders, queueOfDeadLetterQueue } from '@hello/contracts';
import { redactAmqpUrl } from '../config/env';
import { republishOptions } from '../consuming/republish-options';
import { amqpSocketOptions, type AmqpTlsFiles } from '../config/tls';

/** What `list` says of one dead-letter queue. */
export interface DeadLetterSummary {
  readonly queue: string;
  readonly messages: number;
  /** Messages by `x-hello-death-reason` (`broker:<reason>` when the broker dead-lettered it, e.g. `broker:delivery_limit`). */
  readonly byReason: Readonly<Record<string, number>>;
  /** Age in seconds of the oldest message (by when it was dead-lettered, else when it was published). */
  readonly oldestAgeSeconds?: number;
}

/** One dead letter as `show` prints it. */
export interface DeadLetter {
  readonly messageId?: string;
  readonly type?: string;
  readonly reason: string;
  readonly detail?: string;
  /** Where `redrive` would send it. */
  readonly sourceQueue: string;
  readonly headers: Readonly<Record<string, unknown>>;
  readonly body: string;
}

export interface RedriveResult {
  /** Messages sent back to their queue and removed from the dead-letter queue (none with dryRun). */
  readonly moved: number;
  /** Messages that matched (with dryRun: that would have been moved). */
  readonly matched: readonly { readonly messageId?: string; readonly reason: string; readonly to: string }[];
}

export interface DeadLetterFilter {
  /** Only messages with this reason (see DeadLetterSummary.byReason). */
  readonly reason?: string;
  /** At most this many messages. */
  readonly limit?: number;
}

/**
 * Looks at and re-drives the messages of a dead-letter queue, on any broker (`url`): its own
 * connection, plain AMQP, nothing else. Looking takes each message without acking it and gives them
 * all back when done (closing the channel), so nothing is lost if it stops midway.
 *
 * A re-drive moves each message with publisher confirms: the copy goes to the source queue as a
 * mandatory publish, and only once the broker has confirmed it (routed to the queue, and written when
 * the queue is durable) is the dead letter acked. A re-drive killed at any point loses nothing: a
 * message is in the dead-letter queue, in the source queue, or — killed between the confirm and the
 * ack — in both once; run again, that one is sent a second time with the same message id, which the
 * consumer's de-duplication by message id drops.
 */
export class DeadLetterQueue {
  private constructor(
    private readonly connection: ChannelModel,
    readonly queue: string,
  ) {}

  static async open(url: string, queue: string, tls?: AmqpTlsFiles): Promise<DeadLetterQueue> {
    let connection: ChannelModel;
    try {
      connection = await connect(url, {
        ...amqpSocketOptions(url, tls),
        clientProperties: { connection_name: 'dead-letters' },
      });
    } catch (error) {
      throw new Error(`cannot connect to ${redactAmqpUrl(url)}: ${(error as Error).message}`, { cause: error });
    }
    connection.on('error', () => undefined);
    return new DeadLetterQueue(connection, queue);
  }

  async close(): Promise<void> {
    await this.connection.close().catch(() => undefined);
  }

  /** Counts by reason and the age of the oldest message. */
  async list(): Promise<DeadLetterSummary> {
    const byReason: Record<string, number> = {};
    let oldest: number | undefined;
    let messages = 0;
    await this.browse(async (message) => {
      messages++;
      const reason = reasonOf(message);
      byReason[reason] = (byReason[reason] ?? 0) + 1;
      const at = deadLetteredAt(message);
      if (at !== undefined && (oldest === undefined || at < oldest)) oldest = at;
      return true;
    });
    return {
      queue: this.queue,
      messages,
      byReason,
      ...(oldest !== undefined ? { oldestAgeSeconds: Math.max(0, Math.round((Date.now() - oldest) / 1000)) } : {}),
    };
  }

  /** Headers and bodies of the messages that match, oldest first. */
  async show(filter: DeadLetterFilter = {}): Promise<DeadLetter[]> {
    const shown: DeadLetter[] = [];
    await this.browse(async (message) => {
      if (filter.reason !== undefined && reasonOf(message) !== filter.reason) return true;
      shown.push(describe(message, this.queue));
      return filter.limit === undefined || shown.length < filter.limit;
    });
    return shown;
  }

  /**
   * Sends the matching messages back to their source queue (`to`, else where they were dead-lettered
   * from), without `x-hello-death-*`, `x-hello-attempts` or the broker's `x-death`, with
   * `x-hello-redriven` counted up; see the class comment for why none is lost or doubled.
   */
  async redrive(
    filter: DeadLetterFilter & {
      readonly dryRun?: boolean;
      readonly to?: string;
      /** Told after each message is moved (its copy confirmed, the dead letter acked). */
      readonly onMoved?: (moved: { messageId?: string; reason: string; to: string }) => void;
    } = {},
  ): Promise<RedriveResult> {
    const matched: { messageId?: string; reason: string; to: string }[] = [];
    const targets = new Set<string>();
    let moved = 0;
    let messageCount: number;
    const channel = filter.dryRun
      ? await this.connection.createChannel()
      : await this.connection.createConfirmChannel();
    channel.on('error', () => undefined);
    // A mandatory publish the broker cannot route comes back (basic.return) before its confirm.
    let returns = 0;
    channel.on('return', () => {
      returns++;
    });
    try {
      ({ messageCount } = await channel.checkQueue(this.queue));
      // Messages skipped (another reason) stay unacked, so each is looked at once; they go back at the end.
      for (let seen = 0; seen < messageCount; seen++) {
        if (filter.limit !== undefined && matched.length >= filter.limit) break;
        const message = await channel.get(this.queue, { noAck: false });
        if (!message) break;
        const reason = reasonOf(message);
        if (filter.reason !== undefined && reason !== filter.reason) continue;
        const to = filter.to ?? sourceQueueOf(message, this.queue);
        matched.push({ messageId: message.properties.messageId as string | undefined, reason, to });
        if (filter.dryRun) continue;
        if (!targets.has(to)) {
          await this.assertQueueExists(to);
          targets.add(to);
        }
        const { content, options } = redriven(message);
        const returnsBefore = returns;
        await publishConfirmed(channel as ConfirmChannel, to, content, options);
        if (returns !== returnsBefore)
          throw new Error(`the broker could not route the copy of ${describeId(message)} to '${to}'`);
        channel.ack(message);
        moved++;
        filter.onMoved?.(matched[matched.length - 1]);
      }
    } finally {
      // Gives back every message taken but not moved.
      await channel.close().catch(() => undefined);
    }
    await this.untilReady(messageCount - moved);
    return { moved, matched };
  }

  /** A missing source queue would swallow the copy (the default exchange drops what it cannot route). */
  private async assertQueueExists(queue: string): Promise<void> {
    const probe = await this.connection.createChannel();
    probe.on('error', () => undefined);
    try {
      await probe.checkQueue(queue);
    } catch {
      throw new Error(`the source queue '${queue}' does not exist: declare it (start its consumer) or pass --to`);
    } finally {
      await probe.close().catch(() => undefined);
    }
  }

  /**
   * Takes every message once, unacked, calling `visit` until it says stop; then gives them all back
   * and waits (a little) until the broker has them ready again, so that the next command sees them.
   */
  private async browse(visit: (message: GetMessage) => Promise<boolean>): Promise<void> {
    const channel = await this.connection.createChannel();
    channel.on('error', () => undefined);
    let ready: number;
    try {
      ({ messageCount: ready } = await channel.checkQueue(this.queue));
      for (let seen = 0; seen < ready; seen++) {
        const message = await channel.get(this.queue, { noAck: false });
        if (!message || !(await visit(message))) break;
      }
    } finally {
      await channel.close().catch(() => undefined);
    }
    await this.untilReady(ready);
  }

  // Closing the channel returns its unacked messages, but a quorum queue makes them ready again a
  // moment later. Bounded: another client may be taking messages meanwhile.
  private async untilReady(count: number, timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const probe = await this.connection.createChannel();
    probe.on('error', () => undefined);
    try {
      while ((await probe.checkQueue(this.queue)).messageCount < count && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    } finally {
      await probe.close().catch(() => undefined);
    }
  }
}

/** Publishes `content` to `queue` (mandatory) and resolves once the broker confirms it; rejects on a nack. */
function publishConfirmed(
  channel: ConfirmChannel,
  queue: string,
  content: Buffer,
  options: Options.Publish,
): Promise<void> {
  return new Promise((resolve, reject) => {
    channel.publish('', queue, content, { ...options, mandatory: true }, (error: unknown) =>
      error ? reject(new Error(`the broker refused the copy for '${queue}'`)) : resolve(),
    );
  });
}

function describeId(message: GetMessage): string {
  const id = message.properties.messageId as string | undefined;
  return id ? `message ${id}` : 'a message without id';
}

type XDeath = { queue?: string; reason?: string; time?: { value?: number } | Date | number };

function xDeathOf(message: GetMessage): XDeath | undefined {
  const deaths = message.properties.headers?.['x-death'] as XDeath[] | undefined;
  return Array.isArray(deaths) ? deaths[0] : undefined;
}

function reasonOf(message: GetMessage): string {
  const reason = message.properties.headers?.[MessageHeaders.deathReason];
  if (typeof reason === 'string' && reason) return reason;
  const death = xDeathOf(message);
  return death?.reason ? `broker:${death.reason}` : 'unknown';
}

/** When the message was dead-lettered (ms since the epoch), else when it was published. */
function deadLetteredAt(message: GetMessage): number | undefined {
  const at = message.properties.headers?.[MessageHeaders.deathAt];
  if (typeof at === 'string' && !Number.isNaN(Date.parse(at))) return Date.parse(at);
  const time = xDeathOf(message)?.time;
  const seconds = typeof time === 'number' ? time : time instanceof Date ? time.getTime() / 1000 : time?.value;
  if (typeof seconds === 'number') return seconds * 1000;
  const timestamp = message.properties.timestamp as number | undefined;
  return typeof timestamp === 'number' ? timestamp * 1000 : undefined;
}

/** The queue a dead letter came from: the broker's `x-death`, else the one `deadLetterQueue` is named for. */
export function sourceQueueOf(message: Pick<GetMessage, 'properties'>, deadLetterQueue: string): string {
  const fromBroker = xDeathOf(message as GetMessage)?.queue;
  if (typeof fromBroker === 'string' && fromBroker) return fromBroker;
  return queueOfDeadLetterQueue(deadLetterQueue) ?? deadLetterQueue;
}

function describe(message: GetMessage, queue: string): DeadLetter {
  const headers = message.properties.headers ?? {};
  const detail = headers[MessageHeaders.deathDetail];
  return {
    messageId: message.properties.messageId as string | undefined,
    type: message.properties.type as string | undefined,
    reason: reasonOf(message),
    ...(typeof detail === 'string' ? { detail } : {}),
    sourceQueue: sourceQueueOf(message, queue),
    headers,
    body: message.content.toString('utf8'),
  };
}

/** The copy that goes back: the same message, its death forgotten and its re-drive counted. */
export function redriven(message: Pick<GetMessage, 'properties' | 'content'>): {
  content: Buffer;
  options: Options.Publish;
} {
  const { properties } = message;
  const headers: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(properties.headers ?? {})) {
    if (name.startsWith('x-hello-death-') || name === MessageHeaders.attempts) continue;
    if (name === 'x-death' || name.startsWith('x-first-death-') || name.startsWith('x-last-death-')) continue;
    if (name === 'x-delivery-count') continue;
    headers[name] = value;
  }
  const before = Number(properties.headers?.[MessageHeaders.redriven] ?? 0);
  headers[MessageHeaders.redriven] = (Number.isInteger(before) && before > 0 ? before : 0) + 1;
  return {
    content: message.content,
    options: republishOptions(properties, headers),
  };
}

import type { ConfirmChannel, ConsumeMessage } from 'amqplib';

/**
 * The channels consuming one queue and their consumer tags: a channel is added on every (re)connect,
 * forgotten when it closes, and its consumer is cancelled when the server drains.
 */
export class QueueConsumers {
  private readonly open = new Set<ConfirmChannel>();
  private readonly tags = new Map<ConfirmChannel, string>();

  /** Whether a consumer is attached now (readiness). */
  get consuming(): boolean {
    return this.tags.size > 0;
  }

  /** Whether `channel` is still open: acks, nacks and publishes on a closed one would throw. */
  isOpen(channel: ConfirmChannel): boolean {
    return this.open.has(channel);
  }

  /** Starts consuming `queue` on `channel` with manual acks, `prefetch` deliveries at a time. */
  async consume(
    channel: ConfirmChannel,
    queue: string,
    prefetch: number,
    onDelivery: (channel: ConfirmChannel, message: ConsumeMessage | null) => void,
  ): Promise<void> {
    this.open.add(channel);
    channel.once('close', () => {
      this.open.delete(channel);
      this.tags.delete(channel);
    });
    await channel.prefetch(prefetch, false);
    const { consumerTag } = await channel.consume(queue, (message) => onDelivery(channel, message), { noAck: false });
    this.tags.set(channel, consumerTag);
  }

  /** The broker cancelled the consumer of `channel` (e.g. its queue was deleted). */
  cancelledByBroker(channel: ConfirmChannel): void {
    this.tags.delete(channel);
  }

  /** Cancels every consumer, so that no new delivery arrives; those on the wire still do. */
  async cancelAll(): Promise<void> {
    for (const [channel, consumerTag] of this.tags) {
      if (this.open.has(channel)) await channel.cancel(consumerTag).catch(() => undefined);
    }
    this.tags.clear();
  }
}

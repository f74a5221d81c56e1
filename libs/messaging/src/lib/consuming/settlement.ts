import type { ConfirmChannel, ConsumeMessage, Message, Options } from 'amqplib';
import { MessageHeaders } from '@hello/contracts';
import { AmqpConnection } from '../connection/amqp-connection';
import { UnroutableMessageError } from '../errors';
import { RateLimitedLog } from '../logging/rate-limited-log';
import { assertTopology } from '../topology/declare-topology';
import { TopologySpec } from '../topology/topology';
import { AmqpContext } from './amqp-context';
import { DeliveryAction, describeError } from './delivery-policy';
import { republishOptions } from './republish-options';

/** A retry or a dead-letter: what is settled by a copy before the ack. */
export type CopyAction = Exclude<DeliveryAction, { kind: 'ack' }>;

export interface SettlementResult {
  /**
   * For retry and dead-letter: whether the copy was published (confirmed). When it was not, the
   * message stays unacked and is delivered again.
   */
  readonly copied: boolean;
  /** False when the channel died before the ack: the broker redelivers the message. */
  readonly acked: boolean;
}

export interface SettlementOptions {
  /** The consumer's own queues: one a copy was returned from is declared again. */
  readonly topology: TopologySpec;
  readonly connection: () => AmqpConnection | undefined;
  /** Whether a delivery's channel is still open: only then can its message be acked or nacked. */
  readonly isOpen: (channel: ConfirmChannel) => boolean;
  readonly log: RateLimitedLog;
}

/**
 * Carries out what `decideDelivery` decided. An ack is sent at once. A retry or a dead-letter is a
 * copy first, published with a publisher confirm on the delivery's own channel, and the ack only
 * after that confirm: a crash in between duplicates the message but never loses it. A copy that
 * fails leaves the message unacked and gives it back after a pause, so that nothing spins.
 */
export class Settlement {
  /** Copies the broker returned (no queue took them), by `copyKey`. */
  private readonly returnedCopies = new Set<string>();

  constructor(private readonly options: SettlementOptions) {}

  /** Call for every new channel of the consumer. */
  watch(channel: ConfirmChannel): void {
    channel.on('return', (message: Message) =>
      this.returnedCopies.add(copyKey(message.properties.messageId, message.fields.routingKey)),
    );
  }

  /** Acks on the channel the message came from, and only while it is open (else: redelivered). */
  ack(channel: ConfirmChannel, message: ConsumeMessage): boolean {
    if (!this.options.isOpen(channel)) return false;
    try {
      channel.ack(message);
      return true;
    } catch {
      return false;
    }
  }

  /** Carries out a retry or dead-letter: the copy first (confirmed), then the ack, both on the delivery's channel. */
  async copyThenAck(channel: ConfirmChannel, context: AmqpContext, action: CopyAction): Promise<SettlementResult> {
    const message = context.getMessage();
    try {
      await this.publishCopy(channel, context, action);
    } catch (failure) {
      let error = failure;
      // The queue was deleted behind the server's back (the broker returned the copy): declare it
      // again and copy once more, so that the message does not go round until the delivery limit.
      if (error instanceof UnroutableMessageError && (await this.redeclare(action.queue))) {
        try {
          await this.publishCopy(channel, context, action);
          return { copied: true, acked: this.ack(channel, message) };
        } catch (retryError) {
          error = retryError;
        }
      }
      const detail = describeError(error);
      this.options.log.error(
        `could not ${action.kind} a message to '${action.queue}' (${detail.replace(/message \S+ /g, '')})`,
        `could not ${action.kind} message ${context.messageId} to '${action.queue}' (${detail}); ` +
          'it stays unacked and will be delivered again',
      );
      this.requeueLater(channel, message);
      return { copied: false, acked: false };
    }
    return { copied: true, acked: this.ack(channel, message) };
  }

  /** Declares one of the consumer's own queues again; false when it is not one, or that fails. */
  private async redeclare(queue: string): Promise<boolean> {
    const declaration = this.options.topology.queues.find((q) => q.name === queue);
    const connection = this.options.connection();
    if (!declaration || !connection) return false;
    try {
      await assertTopology(connection, { exchanges: [], queues: [declaration], bindings: [] });
      this.options.log.warn(`queue '${queue}' was missing (the broker returned a copy sent to it); declared it again`);
      return true;
    } catch (error) {
      this.options.log.error(`queue '${queue}' is missing and could not be declared again: ${describeError(error)}`);
      return false;
    }
  }

  private async publishCopy(channel: ConfirmChannel, context: AmqpContext, action: CopyAction): Promise<void> {
    const message = context.getMessage();
    // The broker sets x-delivery-count on redeliveries; it says nothing about the copy.
    const headers: Record<string, unknown> = {
      ...message.properties.headers,
      [MessageHeaders.attempts]: action.attempts,
    };
    delete headers['x-delivery-count'];
    if (action.kind === 'dead-letter') {
      headers[MessageHeaders.deathReason] = action.reason;
      headers[MessageHeaders.deathDetail] = action.detail;
      headers[MessageHeaders.deathAt] = new Date().toISOString();
    }
    const options: Options.Publish = {
      ...republishOptions(message.properties, headers),
      mandatory: true,
      messageId: context.messageId,
    };
    const key = copyKey(context.messageId, action.queue);
    this.returnedCopies.delete(key);
    if (!this.options.isOpen(channel)) throw new Error('the channel of this delivery is closed');
    await new Promise<void>((resolve, reject) => {
      try {
        channel.publish('', action.queue, message.content, options, (error) => (error ? reject(error) : resolve()));
      } catch (error) {
        reject(error);
      }
    });
    // The broker sends basic.return before the confirm of the same message.
    if (this.returnedCopies.delete(key)) throw new UnroutableMessageError(context.messageId, '', action.queue);
  }

  /** After a failed copy: give the message back later instead of at once, so nothing spins. */
  private requeueLater(channel: ConfirmChannel, message: ConsumeMessage): void {
    setTimeout(() => {
      if (!this.options.isOpen(channel)) return;
      try {
        channel.nack(message, false, true);
      } catch {
        // The channel closed meanwhile; the broker redelivers the message.
      }
    }, 1000).unref();
  }
}

function copyKey(messageId: unknown, routingKey: string): string {
  return `${String(messageId)}\0${routingKey}`;
}

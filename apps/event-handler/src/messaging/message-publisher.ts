import type { OutgoingMessage } from '@hello/messaging';

export type { OutgoingMessage };

/**
 * Publishes persistently and resolves only once the broker has confirmed the message; rejects
 * after its own bounded retries (`@hello/messaging`'s ConfirmedPublisher). The use cases depend
 * on this interface rather than on the AMQP client, so unit tests can script failures.
 */
export interface MessagePublisher {
  publish(message: OutgoingMessage): Promise<void>;
}

export const MESSAGE_PUBLISHER = Symbol('MESSAGE_PUBLISHER');

import type { Channel } from 'amqplib';
import { AmqpConnection } from '../connection/amqp-connection';
import { ArgumentMismatchError } from '../errors';
import { TopologySpec } from './topology';

/**
 * Declares exchanges, queues and bindings on `channel` (idempotent). A declaration that conflicts with
 * what exists throws ArgumentMismatchError; the broker has then closed `channel`, so use a channel of
 * its own for this (see `assertTopology`).
 */
export async function declareTopology(channel: Channel, topology: TopologySpec): Promise<void> {
  for (const exchange of topology.exchanges) {
    await explainMismatch(() => channel.assertExchange(exchange.name, exchange.type, { durable: true }));
  }
  for (const queue of topology.queues) {
    await explainMismatch(() =>
      channel.assertQueue(queue.name, {
        durable: true,
        arguments: { ...queue.arguments },
      }),
    );
  }
  for (const binding of topology.bindings) {
    await channel.bindQueue(binding.queue, binding.exchange, binding.routingKey);
  }
}

/**
 * Declares `topology` on a dedicated channel, so that a mismatch closes only that channel and surfaces
 * as an ArgumentMismatchError naming the argument, instead of a silent channel close elsewhere.
 */
export async function assertTopology(connection: AmqpConnection, topology: TopologySpec): Promise<void> {
  await connection.withDedicatedChannel((channel) => declareTopology(channel, topology));
}

// PRECONDITION_FAILED - inequivalent arg 'x-queue-type' for queue 'hello' in vhost '/':
//   received the value 'quorum' of type 'longstr' but current is none
const INEQUIVALENT =
  /inequivalent arg '([^']+)' for (queue|exchange) '((?:[^']|'(?! in vhost))*)' in vhost '([^']*)': received (.+?) but current is (.+?)"?$/;

async function explainMismatch<T>(declare: () => Promise<T>): Promise<T> {
  try {
    return await declare();
  } catch (error) {
    throw toMismatchError(error) ?? error;
  }
}

/** The ArgumentMismatchError a 406 "inequivalent arg" broker error stands for, or undefined. */
export function toMismatchError(error: unknown): ArgumentMismatchError | undefined {
  if (!(error instanceof Error) || (error as { code?: unknown }).code !== 406) return undefined;
  const match = INEQUIVALENT.exec(error.message);
  if (!match) return undefined;
  const [, argument, entity, name, vhost, received, current] = match;
  return new ArgumentMismatchError(
    entity as 'queue' | 'exchange',
    name,
    vhost,
    argument,
    describeBrokerValue(received),
    describeBrokerValue(current),
    error.message,
  );
}

// The broker writes `none`, `'5'` or `the value '5' of type 'byte'`.
function describeBrokerValue(text: string): string {
  const typed = /^the value '(.*)' of type '([^']+)'$/.exec(text);
  if (typed) return `'${typed[1]}' (${typed[2]})`;
  return text;
}

import { deadLetterQueueFor, retryQueueFor, Topology } from '@hello/contracts';
import { RetryOptions } from '../config/retry-options';

export type QueueArguments = Readonly<Record<string, string | number | boolean>>;

/** A durable queue and its arguments. */
export interface QueueDeclaration {
  readonly name: string;
  readonly arguments: QueueArguments;
}

/** A durable exchange. */
export interface ExchangeDeclaration {
  readonly name: string;
  readonly type: 'topic' | 'direct' | 'fanout' | 'headers';
}

export interface BindingDeclaration {
  readonly queue: string;
  readonly exchange: string;
  readonly routingKey: string;
}

/** What an application declares (and re-declares after every reconnect). */
export interface TopologySpec {
  readonly exchanges: readonly ExchangeDeclaration[];
  readonly queues: readonly QueueDeclaration[];
  readonly bindings: readonly BindingDeclaration[];
}

/** Bindings of a consuming queue to topic exchanges. */
export interface QueueBinding {
  readonly exchange: string;
  readonly type: 'topic';
  readonly routingKeys: readonly string[];
}

/**
 * How often the broker redelivers a message (consumer crashed, channel closed, nack) before it
 * dead-letters it itself (reason `delivery_limit` in `x-death`). Every application that declares a
 * work queue uses this value, so that their declarations agree.
 */
export const DEFAULT_DELIVERY_LIMIT = 10;

/**
 * How many nodes each quorum queue is replicated to when it is declared: a leader and two followers,
 * so that any one node of a cluster may fail. The broker caps it at the number of cluster nodes (one
 * on a single node). It applies at declaration only, and the broker refuses a re-declaration that
 * differs in it, so every application declares the same value (see the README, "Scale-out").
 */
export const QUORUM_INITIAL_GROUP_SIZE = 3;

const QUORUM_QUEUE = {
  'x-queue-type': 'quorum',
  'x-quorum-initial-group-size': QUORUM_INITIAL_GROUP_SIZE,
} as const;

// Dead-lettering out of a quorum queue is at-most-once unless the queue uses the at-least-once
// strategy, which requires reject-publish overflow (RabbitMQ 3.10+).
const AT_LEAST_ONCE_DEAD_LETTERING = {
  'x-dead-letter-strategy': 'at-least-once',
  'x-overflow': 'reject-publish',
} as const;

/**
 * The arguments of a work queue: durable quorum queue, dead-lettering to `deadLetterQueueFor(queue)`
 * (at least once), and a delivery limit so that a message which keeps crashing its consumer ends there
 * instead of looping.
 */
export function workQueueArguments(
  queue: string,
  options: { deliveryLimit?: number; extra?: QueueArguments } = {},
): QueueArguments {
  return {
    ...QUORUM_QUEUE,
    'x-dead-letter-exchange': '',
    'x-dead-letter-routing-key': deadLetterQueueFor(queue),
    'x-delivery-limit': options.deliveryLimit ?? DEFAULT_DELIVERY_LIMIT,
    ...AT_LEAST_ONCE_DEAD_LETTERING,
    ...options.extra,
  };
}

/** The dead-letter queue of a work queue: a durable quorum queue, read by people and tools. */
export function deadLetterQueueArguments(): QueueArguments {
  return { ...QUORUM_QUEUE };
}

/**
 * A retry delay queue: holds each message for `delayMs` (per-queue TTL), then dead-letters it back to
 * the work queue. No broker plugin needed.
 */
export function retryQueueArguments(queue: string, delayMs: number): QueueArguments {
  return {
    ...QUORUM_QUEUE,
    'x-message-ttl': delayMs,
    'x-dead-letter-exchange': '',
    'x-dead-letter-routing-key': queue,
    ...AT_LEAST_ONCE_DEAD_LETTERING,
  };
}

/** The work queue and its dead-letter queue: what a publisher to the queue declares. */
export function workQueueTopology(
  queue: string,
  options: { deliveryLimit?: number; queueArguments?: QueueArguments } = {},
): TopologySpec {
  return {
    exchanges: [],
    queues: [
      {
        name: deadLetterQueueFor(queue),
        arguments: deadLetterQueueArguments(),
      },
      {
        name: queue,
        arguments: workQueueArguments(queue, {
          deliveryLimit: options.deliveryLimit,
          extra: options.queueArguments,
        }),
      },
    ],
    bindings: [],
  };
}

/**
 * Everything a consumer of `queue` declares: the work queue, its dead-letter queue, one retry delay
 * queue per retry (`retryQueueFor(queue, attempt)`), the exchanges it binds to and the bindings.
 */
export function consumerTopology(
  queue: string,
  options: {
    retry: RetryOptions;
    bindings?: readonly QueueBinding[];
  },
): TopologySpec {
  const work = workQueueTopology(queue);
  // The retry after try number n goes through `retryQueueFor(queue, n)`.
  const retries: QueueDeclaration[] = options.retry.delaysMs.map((delayMs, index) => ({
    name: retryQueueFor(queue, index + 1),
    arguments: retryQueueArguments(queue, delayMs),
  }));
  const bindings = options.bindings ?? [];
  return {
    exchanges: dedupe(
      bindings.map((b) => ({ name: b.exchange, type: b.type })),
      (e) => e.name,
    ),
    queues: [...work.queues, ...retries],
    bindings: bindings.flatMap((b) =>
      b.routingKeys.map((routingKey) => ({
        queue,
        exchange: b.exchange,
        routingKey,
      })),
    ),
  };
}

/** How long and how much of the event log the broker keeps (fixed when the stream is first declared). */
export interface EventLogRetention {
  /** `x-max-age`: a number and a unit, `Y`, `M`, `D`, `h`, `m` or `s` (e.g. `30D`). */
  readonly maxAge: string;
  /** `x-max-length-bytes`: the log's size cap; the oldest segments go first. */
  readonly maxLengthBytes: number;
}

/** A month of history, capped at 20 GB: what a team would keep by default (see docs/configuration.md). */
export const DEFAULT_EVENT_LOG_RETENTION: EventLogRetention = {
  maxAge: '30D',
  maxLengthBytes: 20_000_000_000,
};

/**
 * How many nodes the event log is replicated to when it is declared: a leader and two replicas, as the
 * quorum queues. The broker caps it at the number of cluster nodes (one on a single node), so every
 * application declares the same value whatever its URL list, and the declarations agree.
 */
export const STREAM_INITIAL_CLUSTER_SIZE = 3;

/**
 * The event log `Topology.eventLog`: a durable stream bound to `Topology.eventsExchange` with `#`,
 * with its retention. Every publisher of integration events declares it with the exchange, so no
 * event is published before the log exists; the arguments must agree everywhere, as for the queues.
 */
export function eventLogTopology(retention: EventLogRetention = DEFAULT_EVENT_LOG_RETENTION): TopologySpec {
  return {
    exchanges: [{ name: Topology.eventsExchange, type: 'topic' }],
    queues: [
      {
        name: Topology.eventLog,
        arguments: {
          'x-queue-type': 'stream',
          'x-max-age': retention.maxAge,
          'x-max-length-bytes': retention.maxLengthBytes,
          'x-initial-cluster-size': STREAM_INITIAL_CLUSTER_SIZE,
        },
      },
    ],
    bindings: [{ queue: Topology.eventLog, exchange: Topology.eventsExchange, routingKey: '#' }],
  };
}

/** Several topologies as one (e.g. what a consumer consumes plus what it publishes to). */
export function mergeTopologies(...parts: readonly TopologySpec[]): TopologySpec {
  return {
    exchanges: dedupe(
      parts.flatMap((p) => p.exchanges),
      (e) => e.name,
    ),
    queues: dedupe(
      parts.flatMap((p) => p.queues),
      (q) => q.name,
    ),
    bindings: dedupe(
      parts.flatMap((p) => p.bindings),
      (b) => `${b.queue}\0${b.exchange}\0${b.routingKey}`,
    ),
  };
}

/** An exchange alone (e.g. the topic exchange an application publishes integration events to). */
export function exchangeTopology(name: string, type: ExchangeDeclaration['type'] = 'topic'): TopologySpec {
  return { exchanges: [{ name, type }], queues: [], bindings: [] };
}

function dedupe<T>(items: readonly T[], key: (item: T) => string): T[] {
  const seen = new Map<string, T>();
  for (const item of items) if (!seen.has(key(item))) seen.set(key(item), item);
  return [...seen.values()];
}

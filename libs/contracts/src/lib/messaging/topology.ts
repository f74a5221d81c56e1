/**
 * Every RabbitMQ name hello-mesh uses, in one place. Apps assert what they use at start-up.
 */
export const Topology = {
  /** The work queue (durable quorum queue; the default exchange routes to it by name). */
  helloQueue: 'hello',
  /** Where messages of `hello` go that cannot be handled, with the reason in headers. */
  helloDeadLetterQueue: 'hello.dead',
  /** Topic exchange for integration events. */
  eventsExchange: 'hello.events',
  /**
   * The event log: a stream bound to `eventsExchange` for every routing key, so it keeps every
   * integration event (within its retention) for replays and backfills.
   */
  eventLog: 'hello.events.log',
  /** The event-handler's queue, bound to `eventsExchange`. */
  eventHandlerQueue: 'event-handler.events',
  eventHandlerDeadLetterQueue: 'event-handler.events.dead',
  /** The greeter's AMQP request/reply queue for SayHello (durable quorum queue, default exchange). */
  helloRpcQueue: 'hello.rpc',
  /** Requests of `hello.rpc` that cannot be answered (no `reply_to`), with the reason in headers. */
  helloRpcDeadLetterQueue: 'hello.rpc.dead',
} as const;

const DEAD_LETTER_SUFFIX = '.dead';

/** Names of the queues a consuming queue needs around it (dead letters, retry delays). */
export function deadLetterQueueFor(queue: string): string {
  return queue === Topology.helloQueue ? Topology.helloDeadLetterQueue : `${queue}${DEAD_LETTER_SUFFIX}`;
}

/** The queue whose dead letters `deadLetterQueue` holds (the inverse of deadLetterQueueFor), if it is one. */
export function queueOfDeadLetterQueue(deadLetterQueue: string): string | undefined {
  if (deadLetterQueue === Topology.helloDeadLetterQueue) return Topology.helloQueue;
  return deadLetterQueue.endsWith(DEAD_LETTER_SUFFIX)
    ? deadLetterQueue.slice(0, -DEAD_LETTER_SUFFIX.length)
    : undefined;
}

export function retryQueueFor(queue: string, attempt: number): string {
  return `${queue}.retry.${attempt}`;
}

/** AMQP header names the project writes. */
export const MessageHeaders = {
  /** Why a message was dead-lettered (a stable code, e.g. `malformed-json`). */
  deathReason: 'x-hello-death-reason',
  /** Human-readable detail of the reason (the validation error, the handler's last error). */
  deathDetail: 'x-hello-death-detail',
  /** When the message was dead-lettered (ISO 8601). */
  deathAt: 'x-hello-death-at',
  /** How many times the handler has been tried for this message. */
  attempts: 'x-hello-attempts',
  /** W3C trace context. */
  traceparent: 'traceparent',
  /** When the caller of an AMQP request stops waiting for its reply: epoch milliseconds. */
  deadline: 'x-hello-deadline',
  /** The status code of an error reply (e.g. `INVALID_ARGUMENT`), as in its body. */
  errorCode: 'x-hello-error-code',
  /** How many times a message has been sent back from its dead-letter queue (a re-drive). */
  redriven: 'x-hello-redriven',
} as const;

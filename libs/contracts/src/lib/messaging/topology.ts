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
  /** The event-handler's queue, bound to `eventsExchange`. */
  eventHandlerQueue: 'event-handler.events',
  eventHandlerDeadLetterQueue: 'event-handler.events.dead',
  /** The greeter's AMQP request/reply queue for SayHello (durable quorum queue, default exchange). */
  helloRpcQueue: 'hello.rpc',
  /** Requests of `hello.rpc` that cannot be answered (no `reply_to`), with the reason in headers. */
  helloRpcDeadLetterQueue: 'hello.rpc.dead',
} as const;

/** Names of the queues a consuming queue needs around it (dead letters, retry delays). */
export function deadLetterQueueFor(queue: string): string {
  return queue === Topology.helloQueue ? Topology.helloDeadLetterQueue : `${queue}.dead`;
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
} as const;

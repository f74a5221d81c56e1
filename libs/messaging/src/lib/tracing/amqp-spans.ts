import {
  context as otelContext,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
} from '@opentelemetry/api';
import type { ConsumeMessage } from 'amqplib';

/**
 * Spans of the project's own around AMQP publish and consume, named and attributed by the OpenTelemetry
 * semantic conventions for messaging (RabbitMQ). The W3C trace context travels in the message's AMQP
 * headers (`traceparent`, `tracestate`), so any client can read it and the wire format stays plain AMQP.
 *
 * Own spans rather than an amqplib instrumentation: publishing goes through amqp-connection-manager
 * and buffers (the greeter publishes after its gRPC call has returned, the outbox relay long after the
 * transaction), where a patched `channel.publish` sees the wrong active context.
 */
const tracer = trace.getTracer('@hello/messaging');

/** Header carrier: only string values are read back. */
const headerGetter = {
  keys: (carrier: Record<string, unknown>) => Object.keys(carrier),
  get: (carrier: Record<string, unknown>, key: string) => {
    const value = carrier[key];
    return typeof value === 'string' ? value : Buffer.isBuffer(value) ? value.toString('utf8') : undefined;
  },
};

/** Where a message is published: its exchange, or for the default exchange the queue it routes to. */
export interface PublishTarget {
  readonly exchange: string;
  readonly routingKey: string;
  readonly messageId: string;
  readonly correlationId?: string;
  readonly type?: string;
  /** A reply queue of one caller (direct reply-to, an exclusive callback queue): named `(temporary)`. */
  readonly temporary?: boolean;
}

/**
 * Starts the PRODUCER span of one publish, as a child of `parent` (default: the active context), and
 * writes its trace context into `headers`.
 */
export function startPublishSpan(target: PublishTarget, headers: Record<string, unknown>, parent?: Context): Span {
  const parentContext = parent ?? otelContext.active();
  const destination = target.temporary ? '(temporary)' : target.exchange || target.routingKey;
  const span = tracer.startSpan(`publish ${destination}`, { kind: SpanKind.PRODUCER }, parentContext);
  if (span.isRecording()) span.setAttributes(publishAttributes(target, destination));
  propagation.inject(trace.setSpan(parentContext, span), headers);
  return span;
}

/**
 * The attributes of a PRODUCER span. They are set only on a span that records: with no exporter
 * every span is non-recording and would drop them, so building them would be work per message for
 * nothing. They are set just after the start, so a sampler does not see them: the samplers
 * `OTEL_TRACES_SAMPLER` chooses from decide on the trace id and the parent alone.
 */
function publishAttributes(target: PublishTarget, destination: string): Attributes {
  return {
    'messaging.system': 'rabbitmq',
    'messaging.operation.type': 'send',
    'messaging.operation.name': 'publish',
    'messaging.destination.name': destination,
    ...(target.temporary
      ? { 'messaging.destination.temporary': true }
      : { 'messaging.rabbitmq.destination.routing_key': target.routingKey }),
    'messaging.message.id': target.messageId,
    ...(target.correlationId ? { 'messaging.message.conversation_id': target.correlationId } : {}),
    ...(target.type ? { 'messaging.message.type': target.type } : {}),
  };
}

/** The context a message's headers carry (its publisher's span), or the root context. */
export function contextOfMessage(message: ConsumeMessage): Context {
  const headers = message.properties.headers;
  return headers ? propagation.extract(ROOT_CONTEXT, headers, headerGetter) : ROOT_CONTEXT;
}

/** The trace context of `headers` (e.g. an outbox row's stored headers), or the root context. */
export function contextOfHeaders(headers: Record<string, unknown> | undefined): Context {
  return headers ? propagation.extract(ROOT_CONTEXT, headers, headerGetter) : ROOT_CONTEXT;
}

/**
 * Runs `work` inside the CONSUMER span of one delivery from `queue`, a child of the span that published
 * the message; the span ends when `work` settles, with the outcome `work` reports.
 */
export async function withProcessSpan<T>(
  queue: string,
  message: ConsumeMessage,
  messageId: string,
  work: (span: Span) => Promise<T>,
): Promise<T> {
  const parent = contextOfMessage(message);
  const span = tracer.startSpan(`process ${queue}`, { kind: SpanKind.CONSUMER }, parent);
  if (span.isRecording()) span.setAttributes(processAttributes(queue, message, messageId));
  try {
    return await otelContext.with(trace.setSpan(parent, span), () => work(span));
  } catch (error) {
    failSpan(span, error);
    throw error;
  } finally {
    span.end();
  }
}

/** The attributes of a CONSUMER span (set only when it records, as publishAttributes). */
function processAttributes(queue: string, message: ConsumeMessage, messageId: string): Attributes {
  return {
    'messaging.system': 'rabbitmq',
    'messaging.operation.type': 'process',
    'messaging.operation.name': 'process',
    'messaging.destination.name': queue,
    'messaging.rabbitmq.destination.routing_key': message.fields.routingKey,
    'messaging.rabbitmq.message.delivery_tag': message.fields.deliveryTag,
    'messaging.message.id': messageId,
    ...(message.properties.correlationId
      ? { 'messaging.message.conversation_id': String(message.properties.correlationId) }
      : {}),
    ...(message.properties.type ? { 'messaging.message.type': String(message.properties.type) } : {}),
  };
}

/** Marks `span` failed with `error` (the span is not ended). */
export function failSpan(span: Span, error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof Error) span.recordException(error);
  span.setStatus({ code: SpanStatusCode.ERROR, message });
  span.setAttribute('error.type', error instanceof Error ? error.name : 'Error');
}

import {
  DeadLetterHeadersSchema,
  HELLO_MESSAGE_TYPE,
  HELLO_RPC_TYPE,
  HelloMessageSchema,
  HelloRpcErrorReplySchema,
  HelloRpcReplySchema,
  HelloRpcRequestSchema,
  IntegrationEventTypes,
  MessageHeaders,
  Topology,
  deadLetterQueueFor,
  queueOfDeadLetterQueue,
  retryQueueFor,
} from '@hello/contracts';
import {
  consumerTopology,
  DEFAULT_RETRY_DELAYS_MS,
  eventLogTopology,
  exchangeTopology,
  mergeTopologies,
  type TopologySpec,
  workQueueTopology,
} from '@hello/messaging';
import { z } from 'zod';

/**
 * The AsyncAPI 3.0 document of hello-mesh's AMQP side, built from the contracts' zod schemas and the
 * topology functions the apps declare with, so it cannot say something the code does not.
 * `npm run contracts` writes it to docs/asyncapi.yaml.
 */

type Json = Record<string, unknown>;

const AMQP_BINDING_VERSION = '0.3.0';
const JSON_CONTENT_TYPE = 'application/json';
const TEXT_CONTENT_TYPE = 'text/plain; charset=utf-8';

/** What each app declares on the broker, as the apps declare it (default configuration). */
export function declaredTopology(retryDelaysMs: readonly number[] = DEFAULT_RETRY_DELAYS_MS): TopologySpec {
  const retry = { delaysMs: retryDelaysMs };
  const eventRoutingKeys = Object.values(IntegrationEventTypes).map((event) => event.routingKey);
  return mergeTopologies(
    // producer: the work queue and the RPC queue it sends to
    workQueueTopology(Topology.helloQueue),
    workQueueTopology(Topology.helloRpcQueue),
    // consumer: consumes hello, publishes to hello.events
    consumerTopology(Topology.helloQueue, { retry }),
    exchangeTopology(Topology.eventsExchange),
    // event-handler: consumes its queue bound to every integration event
    consumerTopology(Topology.eventHandlerQueue, {
      retry,
      bindings: [{ exchange: Topology.eventsExchange, type: 'topic', routingKeys: eventRoutingKeys }],
    }),
    // greeter, consumer, event-handler: the event log, a stream every publisher of events declares
    eventLogTopology(),
  );
}

/** JSON Schema (draft-07, what AsyncAPI's default schema format extends) of what a sender may send. */
export function jsonSchemaOf(schema: z.ZodType): Json {
  const jsonSchema = z.toJSONSchema(schema, { io: 'input', target: 'draft-07' }) as Json;
  delete jsonSchema['$schema'];
  return jsonSchema;
}

const traceHeaders: Json = {
  [MessageHeaders.traceparent]: {
    type: 'string',
    description: 'W3C trace context of the span that sent the message.',
    pattern: '^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$',
  },
  tracestate: { type: 'string', description: 'W3C trace state.' },
};

function headers(extra: Json = {}, required: string[] = []): Json {
  return {
    type: 'object',
    properties: { ...traceHeaders, ...extra },
    ...(required.length > 0 ? { required } : {}),
  };
}

function amqpMessageBinding(messageType?: string): Json {
  return { amqp: { ...(messageType ? { messageType } : {}), bindingVersion: AMQP_BINDING_VERSION } };
}

function queueChannel(spec: TopologySpec, queue: string, description: string, messages: string[]): Json {
  const declaration = spec.queues.find((q) => q.name === queue);
  if (!declaration) throw new Error(`no app declares queue '${queue}'`);
  return {
    address: queue,
    description,
    messages: Object.fromEntries(messages.map((m) => [m, { $ref: `#/components/messages/${m}` }])),
    bindings: {
      amqp: {
        is: 'queue',
        queue: {
          name: queue,
          durable: true,
          exclusive: false,
          autoDelete: false,
          vhost: '/',
          'x-arguments': declaration.arguments,
        },
        'x-bindings': spec.bindings
          .filter((b) => b.queue === queue)
          .map((b) => ({ exchange: b.exchange, routingKey: b.routingKey })),
        bindingVersion: AMQP_BINDING_VERSION,
      },
    },
  };
}

function routingKeyChannel(spec: TopologySpec, exchange: string, routingKey: string, message: string): Json {
  const declaration = spec.exchanges.find((e) => e.name === exchange);
  if (!declaration) throw new Error(`no app declares exchange '${exchange}'`);
  return {
    address: routingKey,
    description: `Routing key \`${routingKey}\` on the \`${exchange}\` ${declaration.type} exchange.`,
    messages: { [message]: { $ref: `#/components/messages/${message}` } },
    bindings: {
      amqp: {
        is: 'routingKey',
        exchange: { name: exchange, type: declaration.type, durable: true, autoDelete: false, vhost: '/' },
        'x-bound-queues': spec.bindings
          .filter((b) => b.exchange === exchange && b.routingKey === routingKey)
          .map((b) => b.queue),
        bindingVersion: AMQP_BINDING_VERSION,
      },
    },
  };
}

/** The name of the AsyncAPI message of an integration event type, e.g. `greeting.greeted.v1` → `GreetingGreetedV1`. */
export function eventMessageName(type: string): string {
  return type
    .split('.')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

const ref = (path: string) => ({ $ref: path });

/** Whether a topic binding key (`*` one word, `#` zero or more) routes `routingKey`, as RabbitMQ does. */
export function topicMatches(bindingKey: string, routingKey: string): boolean {
  const match = (keys: string[], words: string[]): boolean => {
    if (keys.length === 0) return words.length === 0;
    const [key, ...rest] = keys;
    if (key === '#') return words.some((_, i) => match(rest, words.slice(i))) || match(rest, []);
    return words.length > 0 && (key === '*' || key === words[0]) && match(rest, words.slice(1));
  };
  return match(bindingKey.split('.'), routingKey.split('.'));
}

/**
 * On a message that is a copy of another (a dead letter, a retry copy): its body, content type and
 * type are those of the original message, whatever it was; only its headers are its own.
 */
const KEEPS_ORIGINAL = 'x-hello-keeps-original';

/** The AsyncAPI 3.0 document, as a plain object (YAML or JSON it). */
export function asyncApiDocument(spec: TopologySpec = declaredTopology()): Json {
  const events = Object.values(IntegrationEventTypes);
  const messages: Json = {
    HelloMessage: {
      name: HELLO_MESSAGE_TYPE,
      title: 'A hello message (JSON)',
      summary: 'Work for the consumer. Sent persistent, with a messageId the consumer de-duplicates on.',
      contentType: JSON_CONTENT_TYPE,
      headers: headers(),
      payload: jsonSchemaOf(HelloMessageSchema),
      bindings: amqpMessageBinding(HELLO_MESSAGE_TYPE),
    },
    HelloText: {
      name: 'hello.text',
      title: 'A hello message (plain text)',
      summary: "What RabbitMQ's tutorial sends: no type, no content type, the body is the whole text.",
      contentType: TEXT_CONTENT_TYPE,
      payload: { type: 'string', minLength: 1, description: 'The text, at most 64 KiB of UTF-8.' },
      bindings: amqpMessageBinding(),
    },
    HelloRpcRequest: {
      name: HELLO_RPC_TYPE,
      title: 'SayHello request',
      summary: 'JSON {"name"} or a plain-text body that is the name. Needs reply_to and correlation_id.',
      contentType: JSON_CONTENT_TYPE,
      correlationId: ref('#/components/correlationIds/AmqpCorrelationId'),
      headers: headers({
        [MessageHeaders.deadline]: {
          type: 'integer',
          description: 'When the caller stops waiting, in epoch milliseconds; later requests are dropped.',
        },
      }),
      payload: { oneOf: [jsonSchemaOf(HelloRpcRequestSchema), { type: 'string', description: 'The name itself.' }] },
      bindings: amqpMessageBinding(HELLO_RPC_TYPE),
    },
    HelloRpcReply: {
      name: 'helloworld.Greeter.SayHello.reply',
      title: 'SayHello reply',
      contentType: JSON_CONTENT_TYPE,
      correlationId: ref('#/components/correlationIds/AmqpCorrelationId'),
      payload: jsonSchemaOf(HelloRpcReplySchema),
      bindings: amqpMessageBinding(),
    },
    HelloRpcErrorReply: {
      name: 'helloworld.Greeter.SayHello.error',
      title: 'SayHello error reply',
      contentType: JSON_CONTENT_TYPE,
      correlationId: ref('#/components/correlationIds/AmqpCorrelationId'),
      headers: headers(
        { [MessageHeaders.errorCode]: { type: 'string', description: 'The same code as the body’s error.code.' } },
        [MessageHeaders.errorCode],
      ),
      payload: jsonSchemaOf(HelloRpcErrorReplySchema),
      bindings: amqpMessageBinding(),
    },
    DeadLetter: {
      name: 'dead-letter',
      title: 'A dead letter',
      summary:
        'A message that could not be handled, with its body, properties and headers as it came, and why in headers.',
      headers: jsonSchemaOf(DeadLetterHeadersSchema),
      payload: {},
      [KEEPS_ORIGINAL]: true,
      bindings: amqpMessageBinding(),
    },
    RetryCopy: {
      name: 'retry-copy',
      title: 'A message waiting for its retry',
      summary: 'A copy of a message whose handler failed, as it came, with the tries so far.',
      headers: headers({ [MessageHeaders.attempts]: { type: 'integer', minimum: 1 } }, [MessageHeaders.attempts]),
      payload: {},
      [KEEPS_ORIGINAL]: true,
      bindings: amqpMessageBinding(),
    },
  };
  for (const event of events) {
    messages[eventMessageName(event.type)] = {
      name: event.type,
      title: `${event.routingKey} v${event.version}`,
      summary: `Integration event; AMQP type \`${event.type}\`, routing key \`${event.routingKey}\`, messageId = eventId.`,
      contentType: JSON_CONTENT_TYPE,
      headers: headers(),
      payload: jsonSchemaOf(event.schema),
      bindings: amqpMessageBinding(event.type),
    };
  }

  const channels: Json = {
    hello: queueChannel(spec, Topology.helloQueue, 'The work queue; the default exchange routes to it by name.', [
      'HelloMessage',
      'HelloText',
    ]),
    helloRpc: queueChannel(spec, Topology.helloRpcQueue, 'SayHello requests; the greeter answers on reply_to.', [
      'HelloRpcRequest',
    ]),
    helloRpcReplies: {
      address: null,
      description: 'The reply_to of each request (e.g. amq.rabbitmq.reply-to), on the default exchange.',
      messages: {
        HelloRpcReply: ref('#/components/messages/HelloRpcReply'),
        HelloRpcErrorReply: ref('#/components/messages/HelloRpcErrorReply'),
      },
    },
    eventHandlerEvents: queueChannel(
      spec,
      Topology.eventHandlerQueue,
      `The event-handler's queue, bound to \`${Topology.eventsExchange}\`.`,
      events.map((e) => eventMessageName(e.type)),
    ),
  };
  for (const event of events) {
    channels[event.routingKey] = routingKeyChannel(
      spec,
      Topology.eventsExchange,
      event.routingKey,
      eventMessageName(event.type),
    );
  }
  for (const { name } of spec.queues) {
    const source = queueOfDeadLetterQueue(name);
    if (source !== undefined && deadLetterQueueFor(source) === name) {
      channels[name] = queueChannel(spec, name, `Dead letters of \`${source}\`.`, ['DeadLetter']);
    }
  }
  for (const queue of spec.queues.map((q) => q.name)) {
    for (let attempt = 1; spec.queues.some((q) => q.name === retryQueueFor(queue, attempt)); attempt++) {
      channels[retryQueueFor(queue, attempt)] = queueChannel(
        spec,
        retryQueueFor(queue, attempt),
        `Copies of \`${queue}\` messages waiting for retry ${attempt}; they return to \`${queue}\` after the TTL.`,
        ['RetryCopy'],
      );
    }
  }

  // Any other queue the apps declare (e.g. one a new feature adds) gets a channel of its own, with the
  // events its bindings route to it, so the document never leaves out a queue the broker has.
  const covered = new Set(Object.values(channels).map((c) => (c as Json)['address']));
  for (const { name } of spec.queues) {
    if (covered.has(name)) continue;
    const bound = spec.bindings.filter((b) => b.queue === name);
    const routed = events.filter((e) => bound.some((b) => topicMatches(b.routingKey, e.routingKey)));
    channels[name] = queueChannel(
      spec,
      name,
      bound.length > 0
        ? `Bound to ${bound.map((b) => `\`${b.exchange}\` (\`${b.routingKey}\`)`).join(', ')}.`
        : 'Declared by the apps.',
      routed.map((e) => eventMessageName(e.type)),
    );
  }

  const chan = (name: string) => ref(`#/channels/${name}`);
  const msg = (channel: string, name: string) => ref(`#/channels/${channel}/messages/${name}`);
  const operations: Json = {
    producerSendsHello: {
      action: 'send',
      title: 'producer: POST /messages',
      channel: chan('hello'),
      messages: [msg('hello', 'HelloMessage')],
    },
    consumerReceivesHello: {
      action: 'receive',
      title: 'consumer: handles each message once (retry, then dead letter)',
      channel: chan('hello'),
      messages: [msg('hello', 'HelloMessage'), msg('hello', 'HelloText')],
    },
    greeterAnswersSayHello: {
      action: 'receive',
      title: 'greeter: SayHello over hello.rpc',
      channel: chan('helloRpc'),
      messages: [msg('helloRpc', 'HelloRpcRequest')],
      reply: {
        address: { location: '$message.header#/reply_to', description: 'The request’s reply_to property.' },
        channel: chan('helloRpcReplies'),
        messages: [msg('helloRpcReplies', 'HelloRpcReply'), msg('helloRpcReplies', 'HelloRpcErrorReply')],
      },
    },
  };
  const publisherOf: Record<string, string> = {
    'greeting.greeted': 'greeter',
    'message.handled': 'consumer',
    'line.received': 'eventHandler',
  };
  for (const event of events) {
    const name = eventMessageName(event.type);
    operations[`${publisherOf[event.routingKey] ?? 'someApp'}Publishes${name}`] = {
      action: 'send',
      channel: chan(event.routingKey),
      messages: [msg(event.routingKey, name)],
    };
  }
  operations['eventHandlerReceivesEvents'] = {
    action: 'receive',
    title: 'event-handler: projections, the welcome saga',
    channel: chan('eventHandlerEvents'),
    messages: events.map((e) => msg('eventHandlerEvents', eventMessageName(e.type))),
  };

  return {
    asyncapi: '3.0.0',
    info: {
      title: 'hello-mesh AMQP',
      version: '1.0.0',
      description:
        'The AMQP side of hello-mesh. Generated by `npm run contracts` from the zod schemas and topology in ' +
        'libs/contracts and libs/messaging: do not edit. Bodies are the JSON payload itself (no envelope); ' +
        'metadata is in AMQP properties (message_id, correlation_id, type, content_type, timestamp, app_id), ' +
        'every message is persistent.',
    },
    defaultContentType: JSON_CONTENT_TYPE,
    servers: {
      local: {
        host: 'localhost:5672',
        protocol: 'amqp',
        protocolVersion: '0-9-1',
        description: 'The broker `npm start` runs (RABBITMQ_URL).',
      },
    },
    channels,
    operations,
    components: {
      messages,
      correlationIds: {
        AmqpCorrelationId: {
          description: 'The AMQP correlation_id property: a reply carries its request’s.',
          location: '$message.header#/correlation_id',
        },
      },
    },
  };
}

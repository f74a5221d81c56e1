import * as fs from 'node:fs';
import * as path from 'node:path';
import { managementApi, managementRequest, type TestVhost } from '@hello/testing';
import Ajv from 'ajv';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import * as amqp from 'amqplib';
import { parse } from 'yaml';

// The running system checked against its documents: every message the apps publish (captured by
// the broker's firehose tracer) against docs/asyncapi.yaml, every HTTP answer against
// docs/openapi/<app>.json, and the broker's definitions against the AsyncAPI channels.

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const ROOT = path.resolve(__dirname, '..', '..', '..', '..');
const CAPTURE_QUEUE = 'contracts.capture';
const TRACE_EXCHANGE = 'amq.rabbitmq.trace';

export function asyncApiDocument(): Json {
  return parse(fs.readFileSync(path.join(ROOT, 'docs/asyncapi.yaml'), 'utf8'));
}

/** A message as the firehose saw it published. */
export interface CapturedMessage {
  readonly exchange: string;
  readonly routingKey: string;
  readonly properties: Json;
  readonly body: Buffer;
}

/**
 * Turns the broker's firehose tracer on for `vhost` and binds a capture queue to it: from now on
 * every message published in the vhost, by any client, is copied there (`publish.<exchange>`).
 */
export async function startCapture(vhost: TestVhost): Promise<void> {
  await managementRequest(managementApi(), 'PUT', `vhosts/${encodeURIComponent(vhost.vhost)}`, { tracing: true });
  const connection = await amqp.connect(vhost.url);
  try {
    const channel = await connection.createChannel();
    await channel.assertQueue(CAPTURE_QUEUE, { durable: false, arguments: { 'x-queue-type': 'classic' } });
    await channel.bindQueue(CAPTURE_QUEUE, TRACE_EXCHANGE, 'publish.#');
  } finally {
    await connection.close();
  }
}

/** Every message captured so far (taken off the capture queue). */
export async function capturedMessages(vhost: TestVhost): Promise<CapturedMessage[]> {
  const connection = await amqp.connect(vhost.url);
  const messages: CapturedMessage[] = [];
  try {
    const channel = await connection.createChannel();
    for (;;) {
      const message = await channel.get(CAPTURE_QUEUE, { noAck: true });
      if (message === false) break;
      const headers = message.properties.headers ?? {};
      messages.push({
        exchange: String(headers['exchange_name'] ?? ''),
        routingKey: String((headers['routing_keys'] as unknown[] | undefined)?.[0] ?? ''),
        properties: (headers['properties'] as Json | undefined) ?? {},
        body: message.content,
      });
    }
  } finally {
    await connection.close();
  }
  return messages;
}

const resolveRef = (document: Json, value: Json): Json =>
  typeof value?.['$ref'] === 'string'
    ? resolveRef(
        document,
        value['$ref']
          .slice(2)
          .split('/')
          .reduce((node: Json, key: string) => node?.[key.replace(/~1/g, '/').replace(/~0/g, '~')], document),
      )
    : value;

/** The AsyncAPI messages a captured message may be: by the channel its exchange and routing key name. */
function candidatesOf(document: Json, captured: CapturedMessage): { channel: string; messages: Json[] } | undefined {
  const channels = Object.entries(document['channels'] as Json);
  const match =
    channels.find(([, channel]) => {
      const binding = channel.bindings?.amqp;
      if (captured.exchange === '') return binding?.is === 'queue' && channel.address === captured.routingKey;
      return (
        binding?.is === 'routingKey' &&
        binding.exchange?.name === captured.exchange &&
        channel.address === captured.routingKey
      );
    }) ?? (captured.exchange === '' ? channels.find(([, channel]) => channel.address === null) : undefined);
  if (!match) return undefined;
  const [name, channel] = match;
  return {
    channel: name,
    messages: Object.values(channel.messages as Json).map((m) => resolveRef(document, m as Json)),
  };
}

/**
 * What is wrong with each captured message against the AsyncAPI document: no channel for where it
 * went, or no message of that channel whose `type`, content type, headers and payload it matches.
 */
/** The header a test puts on a message it sends broken on purpose: that one publish is not checked. */
export const DELIBERATELY_INVALID = 'x-test-deliberately-invalid';

export function asyncApiViolations(document: Json, captured: readonly CapturedMessage[]): string[] {
  const ajv = new Ajv({ strict: false, allErrors: false });
  addFormats(ajv);
  const validators = new Map<Json, (value: unknown) => boolean>();
  const validate = (schema: Json, value: unknown): string | undefined => {
    let check = validators.get(schema);
    if (!check) validators.set(schema, (check = ajv.compile(schema)));
    return check(value) ? undefined : ajv.errorsText((check as unknown as { errors: never }).errors);
  };
  const violations: string[] = [];
  for (const message of captured) {
    // The test's own broken message; the dead letter the consumer makes of it is checked.
    const sentBroken = message.properties['headers']?.[DELIBERATELY_INVALID] !== undefined;
    if (sentBroken && message.exchange === '' && message.routingKey === 'hello') continue;
    const where = `${message.exchange || '(default exchange)'} → ${message.routingKey}`;
    const candidates = candidatesOf(document, message);
    if (!candidates) {
      violations.push(`${where}: no channel of the AsyncAPI document`);
      continue;
    }
    const contentType: string | undefined = message.properties['content_type'];
    const type: string | undefined = message.properties['type'];
    const reasons: string[] = [];
    const fits = candidates.messages.some((expected) => {
      const name = expected['name'];
      const messageType = expected['bindings']?.amqp?.messageType;
      if (messageType !== undefined && type !== messageType) return reasons.push(`${name}: type ${type}`) && false;
      if (expected['x-hello-keeps-original'] === true) {
        // A copy of another message: its own part is its headers.
        const headerError = validate(expected['headers'] ?? {}, message.properties['headers'] ?? {});
        return headerError ? reasons.push(`${name}: headers ${headerError}`) && false : true;
      }
      const isText = String(expected['contentType'] ?? document['defaultContentType']).startsWith('text/plain');
      if (
        isText
          ? contentType !== undefined && !contentType.startsWith('text/plain')
          : contentType !== (expected['contentType'] ?? document['defaultContentType'])
      )
        return reasons.push(`${name}: content_type ${contentType}`) && false;
      const payload = isText ? message.body.toString('utf8') : safeJson(message.body);
      const payloadError = validate(expected['payload'] ?? {}, payload);
      if (payloadError) return reasons.push(`${name}: payload ${payloadError}`) && false;
      const headerError = expected['headers']
        ? validate(expected['headers'], message.properties['headers'] ?? {})
        : undefined;
      if (headerError) return reasons.push(`${name}: headers ${headerError}`) && false;
      return true;
    });
    if (!fits) violations.push(`${where} (${candidates.channel}): ${reasons.join('; ')}`);
  }
  return violations;
}

function safeJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return body.toString('utf8');
  }
}

/** The queues, exchanges and bindings the AsyncAPI document declares, in the broker's definitions' terms. */
export function declaredDefinitions(document: Json): Json {
  const queues = new Map<string, Json>();
  const exchanges = new Map<string, Json>();
  const bindings = new Set<string>();
  for (const channel of Object.values(document['channels'] as Json)) {
    const binding = channel.bindings?.amqp;
    if (binding?.is === 'queue') {
      for (const bound of binding['x-bindings'] ?? []) {
        bindings.add(`${bound.exchange} → ${binding.queue.name} (${bound.routingKey})`);
      }
      queues.set(binding.queue.name, {
        name: binding.queue.name,
        durable: binding.queue.durable,
        arguments: binding.queue['x-arguments'],
      });
    } else if (binding?.is === 'routingKey') {
      exchanges.set(binding.exchange.name, {
        name: binding.exchange.name,
        type: binding.exchange.type,
        durable: binding.exchange.durable,
      });
    }
  }
  const byName = (a: Json, b: Json) => String(a['name']).localeCompare(String(b['name']));
  return {
    queues: [...queues.values()].sort(byName),
    exchanges: [...exchanges.values()].sort(byName),
    bindings: [...bindings].sort(),
  };
}

/** The broker's definitions of `vhost` (management API), less what the capture itself added. */
export async function brokerDefinitions(vhost: TestVhost, testQueues: readonly string[] = []): Promise<Json> {
  const definitions = await managementRequest<Json>(
    managementApi(),
    'GET',
    `definitions/${encodeURIComponent(vhost.vhost)}`,
  );
  // The test's own queues (the capture, and any a spec binds to watch the apps) are not the apps'.
  const ownQueues = new Set([CAPTURE_QUEUE, ...testQueues]);
  const byName = (a: Json, b: Json) => String(a['name']).localeCompare(String(b['name']));
  return {
    queues: (definitions['queues'] as Json[])
      .filter((q) => !ownQueues.has(String(q['name'])))
      .map((q) => ({ name: q['name'], durable: q['durable'], arguments: q['arguments'] }))
      .sort(byName),
    exchanges: (definitions['exchanges'] as Json[])
      .map((e) => ({ name: e['name'], type: e['type'], durable: e['durable'] }))
      .sort(byName),
    bindings: (definitions['bindings'] as Json[])
      .filter((b) => !ownQueues.has(String(b['destination'])) && b['destination_type'] === 'queue')
      .map((b) => `${b['source']} → ${b['destination']} (${b['routing_key']})`)
      .sort(),
  };
}

/** Checks HTTP answers against each app's OpenAPI document: a documented status, and a body its schema allows. */
export class OpenApiRecorder {
  private readonly ajv = new Ajv2020({ strict: false });
  private readonly documents = new Map<string, Json>();
  readonly violations: string[] = [];
  checked = 0;

  constructor() {
    addFormats(this.ajv);
  }

  /** `fetch`, with the answer checked against `app`'s document (the body is read here and returned parsed). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each test reads the body as it expects
  async fetch(app: string, url: string, init?: RequestInit): Promise<{ status: number; body: any }> {
    const response = await fetch(url, init);
    const text = await response.text();
    const contentType = response.headers.get('content-type') ?? '';
    const body = contentType.startsWith('application/json') ? JSON.parse(text) : text;
    this.check(app, init?.method ?? 'GET', new URL(url).pathname, response.status, contentType, body);
    return { status: response.status, body };
  }

  private check(
    app: string,
    method: string,
    pathname: string,
    status: number,
    contentType: string,
    body: unknown,
  ): void {
    this.checked++;
    const document = this.document(app);
    const where = `${app} ${method} ${pathname} → ${status}`;
    const entry = Object.entries(document['paths'] as Json).find(([template]) =>
      new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(pathname),
    );
    const operation = entry?.[1]?.[method.toLowerCase()];
    if (!operation) return void this.violations.push(`${where}: no such operation in docs/openapi/${app}.json`);
    const response = operation.responses?.[String(status)];
    if (!response) return void this.violations.push(`${where}: status not documented`);
    const media = contentType.split(';')[0].trim();
    const schema = response.content?.[media]?.schema;
    if (response.content && !schema) return void this.violations.push(`${where}: content type ${media} not documented`);
    if (schema && !this.ajv.validate(resolveRef(document, schema), body)) {
      this.violations.push(`${where}: ${this.ajv.errorsText(this.ajv.errors)}`);
    }
  }

  private document(app: string): Json {
    let document = this.documents.get(app);
    if (!document) {
      document = JSON.parse(fs.readFileSync(path.join(ROOT, 'docs/openapi', `${app}.json`), 'utf8')) as Json;
      this.documents.set(app, document);
    }
    return document;
  }
}

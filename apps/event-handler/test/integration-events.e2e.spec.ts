import {
  deriveId,
  GreetingGreetedIntegrationEvent,
  MessageHeaders,
  HELLO_MESSAGE_TYPE,
  MessageHandledIntegrationEvent,
  Topology,
} from '@hello/contracts';
import { jsonOf, textOf, waitFor } from '@hello/testing';
import { connect } from 'node:net';
import type { Stats } from '../src/projections/projection-store';
import { EventHandlerHarness } from './support/event-handler-harness';
import { DIALECTS } from './support/test-databases';

// Half of these tests create a PostgreSQL database first: on a loaded machine that alone can take
// a few seconds, more than Jest's default timeout.
jest.setTimeout(30_000);

// Real RabbitMQ (own vhost), real sockets, the real app on each database. Events are published
// with a plain amqplib client to hello.events, as the greeter and the consumer publish them.

describe.each(DIALECTS)('event-handler with RabbitMQ, on %s', (dialect) => {
  let harness: EventHandlerHarness;

  beforeAll(async () => {
    harness = await EventHandlerHarness.create({}, dialect);
    await harness.start();
  });

  afterAll(async () => {
    await harness?.dispose();
  });

  const greeted = (name: string) => GreetingGreetedIntegrationEvent.create({ name, message: `Hello, ${name}!` });

  /** Welcome messages on `hello` for `name` (acked: read once). */
  const welcomesFor = async (name: string) =>
    (await harness.amqp.drain(Topology.helloQueue, 500)).filter(
      (m) => textOf(m) === JSON.stringify({ text: `Welcome, ${name}!` }),
    );

  it('should count a greeting published to hello.events and answer it on GET /greetings/:name', async () => {
    const event = greeted('ada');
    await harness.publishEvent(GreetingGreetedIntegrationEvent.type, event.toJSON());
    await waitFor(async () => (await harness.greetingCount('ada')) === 1, { message: 'ada counted' });
    const { status, body } = await harness.get('/greetings/ada');
    expect(status).toBe(200);
    expect(body).toEqual({
      name: 'ada',
      count: 1,
      firstGreetedAt: event.greetedAt,
      lastGreetedAt: event.greetedAt,
    });
  });

  it('should answer 404 with a JSON error for a name never greeted', async () => {
    const { status, body, contentType } = await harness.get('/greetings/nobody%20at%20all');
    expect(status).toBe(404);
    expect(contentType).toMatch(/^application\/json/);
    expect(body).toEqual({
      statusCode: 404,
      error: 'greeting-not-found',
      message: 'no greeting of "nobody at all" has been counted',
    });
  });

  it('should send exactly one welcome message to hello for the first greeting of a name', async () => {
    const first = greeted('grace');
    await harness.publishEvent(GreetingGreetedIntegrationEvent.type, first.toJSON());
    const [welcome] = await waitFor(
      async () => {
        const found = await welcomesFor('grace');
        return found.length > 0 ? found : undefined;
      },
      { message: 'the welcome of grace on hello' },
    );
    expect(welcome.properties).toMatchObject({
      type: HELLO_MESSAGE_TYPE,
      messageId: deriveId('welcome', first.eventId),
      correlationId: first.eventId,
      contentType: 'application/json',
      deliveryMode: 2,
      appId: 'event-handler',
    });
    expect(jsonOf(welcome)).toEqual({ text: 'Welcome, grace!' });

    const second = greeted('grace');
    await harness.publishEvent(GreetingGreetedIntegrationEvent.type, second.toJSON());
    await harness.settlementsOf(second.eventId);
    expect(await harness.greetingCount('grace')).toBe(2);
    expect(await welcomesFor('grace')).toEqual([]);
  });

  it('should count an event delivered twice only once', async () => {
    const event = greeted('linus');
    await harness.publishEvent(GreetingGreetedIntegrationEvent.type, event.toJSON());
    await harness.publishEvent(GreetingGreetedIntegrationEvent.type, event.toJSON());
    // Re-published by a tool that gave the copy a message id of its own: only the inbox,
    // which keys on the event id in the body, can tell it is the same event.
    const copyId = 'republished-by-hand';
    await harness.publishEvent(GreetingGreetedIntegrationEvent.type, event.toJSON(), { messageId: copyId });
    const settlements = [...(await harness.settlementsOf(event.eventId, 2)), ...(await harness.settlementsOf(copyId))];
    expect(settlements.map((s) => s.action)).toEqual(['ack', 'ack', 'ack']);
    expect(await harness.greetingCount('linus')).toBe(1);
    const metrics = (await harness.get<string>('/metrics')).body;
    expect(metrics).toMatch(/event_handler_events_duplicate_total\{type="greeting.greeted.v1"\} 1\n/);
  });

  it('should dead-letter malformed events with the reason and still count the next one', async () => {
    const broken = { ...greeted('x').toJSON(), name: 42 };
    await harness.publishEvent(GreetingGreetedIntegrationEvent.type, broken);
    await harness.publishEvent(GreetingGreetedIntegrationEvent.type, '{"eventId": "truncated', {
      messageId: 'not-json',
    });
    await harness.publishEvent(
      'greeting.greeted.v9',
      greeted('x').toJSON(),
      { messageId: 'from-the-future' },
      'greeting.greeted',
    );
    const next = greeted('margaret');
    await harness.publishEvent(GreetingGreetedIntegrationEvent.type, next.toJSON());

    await waitFor(async () => (await harness.greetingCount('margaret')) === 1, { message: 'margaret counted' });
    const dead = await harness.amqp.get(Topology.eventHandlerDeadLetterQueue, 3);
    const byId = new Map(dead.map((m) => [m.properties.messageId as string, m]));
    expect(byId.get(broken.eventId)?.properties.headers).toMatchObject({
      [MessageHeaders.deathReason]: 'invalid-event',
      [MessageHeaders.deathDetail]: expect.stringContaining('"name" must be a string'),
      [MessageHeaders.attempts]: 1,
    });
    expect(byId.get('not-json')?.properties.headers?.[MessageHeaders.deathReason]).toBe('malformed-json');
    expect(byId.get('from-the-future')?.properties.headers?.[MessageHeaders.deathReason]).toBe('unknown-type');
    // The dead letter keeps the body as it was, for a person to inspect and replay.
    expect(jsonOf(byId.get(broken.eventId) as { content: Buffer })).toEqual(broken);
  });

  it('should record handled messages, the count and the latest ones', async () => {
    const before = (await harness.get<Stats>('/stats')).body.messages.handled;
    const events = ['one', 'two', 'three'].map((text, i) =>
      MessageHandledIntegrationEvent.create({
        messageId: `message-${text}`,
        text,
        handledAt: new Date(Date.UTC(2030, 0, 1, 0, 0, i)),
      }),
    );
    for (const event of events) await harness.publishEvent(MessageHandledIntegrationEvent.type, event.toJSON());
    const stats = await waitFor(
      async () => {
        const body = (await harness.get<Stats>('/stats')).body;
        return body.messages.handled === before + 3 ? body : undefined;
      },
      { message: 'three handled messages recorded' },
    );
    expect(stats.messages.last.slice(0, 3)).toEqual(
      [...events].reverse().map((e) => ({ messageId: e.messageId, text: e.text, handledAt: e.handledAt })),
    );
  });

  it('should echo TCP lines at once and count each once, through the queue', async () => {
    const before = (await harness.get<Stats>('/stats')).body.lines.received;
    const socket = connect({ host: '127.0.0.1', port: harness.eventHandler.tcpPort });
    let echoed = '';
    socket.on('data', (chunk: Buffer) => (echoed += chunk.toString('utf8')));
    socket.write('first line\r\nsecond line\nthird\r\n');
    await waitFor(() => echoed === 'first line\r\nsecond line\nthird\r\n', { message: 'the echo' });
    socket.end();

    await waitFor(async () => (await harness.get<Stats>('/stats')).body.lines.received === before + 3, {
      message: 'three lines counted',
    });
    const lineEvents = harness.settled.filter((s) => s.pattern === 'line.received.v1');
    expect(lineEvents).toHaveLength(3);
    expect(lineEvents.every((s) => s.outcome === 'handled')).toBe(true);
  });

  it('should say it is healthy, and expose its counters', async () => {
    const health = await harness.get('/health/ready');
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({
      status: 'ok',
      info: {
        'consumer:event-handler.events': { status: 'up' },
        broker: { status: 'up' },
        'publisher:event-handler': { status: 'up' },
        database: { status: 'up' },
      },
    });
    const metrics = await harness.get<string>('/metrics');
    expect(metrics.contentType).toMatch(/^text\/plain/);
    expect(metrics.body).toMatch(/^event_handler_outbox_sent_total\{type="hello.message.v1"\} [1-9]/m);
    expect(metrics.body).toMatch(/^event_handler_tcp_lines_echoed_total 3$/m);
  });
});

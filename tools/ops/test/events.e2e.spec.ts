import * as amqp from 'amqplib';
import {
  GreetingGreetedIntegrationEvent,
  integrationEventMessage,
  LineReceivedIntegrationEvent,
  MessageHandledIntegrationEvent,
  Topology,
  type IntegrationEvent,
} from '@hello/contracts';
import { declareTopology, eventLogTopology } from '@hello/messaging';
import { createTestVhost, TestVhost, waitFor } from '@hello/testing';
import { runOps } from './run-ops';

// `npm run events -- tail` as an operator runs it: a separate process reading the event log of a real broker.

function runEvents(url: string, args: string[]) {
  return runOps(['events', ...args], { RABBITMQ_URL: url, LOG_LEVEL: 'silent' });
}

describe('npm run events -- tail', () => {
  let vhost: TestVhost;
  let connection: amqp.ChannelModel;
  let channel: amqp.ConfirmChannel;
  const events: IntegrationEvent[] = [
    GreetingGreetedIntegrationEvent.create({ name: 'Ada', message: 'Hello, Ada!' }),
    MessageHandledIntegrationEvent.create({ messageId: 'm-1', text: 'hi' }),
    GreetingGreetedIntegrationEvent.create({ name: 'Bob', message: 'Hello, Bob!' }),
  ];

  async function publish(event: IntegrationEvent): Promise<void> {
    const message = integrationEventMessage(event);
    channel.publish(message.exchange, message.routingKey, Buffer.from(JSON.stringify(message.body)), {
      type: message.type,
      messageId: message.messageId,
      contentType: 'application/json',
      appId: 'events-spec',
      timestamp: Math.floor(Date.now() / 1000),
    });
    await channel.waitForConfirms();
  }

  beforeAll(async () => {
    vhost = await createTestVhost('events-cli');
    connection = await amqp.connect(vhost.url);
    channel = await connection.createConfirmChannel();
    await declareTopology(channel, eventLogTopology());
    for (const event of events) await publish(event);
    // Not an event: invalid JSON under a known type.
    channel.publish(Topology.eventsExchange, 'greeting.greeted', Buffer.from('{"name":'), {
      type: GreetingGreetedIntegrationEvent.type,
      messageId: 'broken',
      contentType: 'application/json',
    });
    await channel.waitForConfirms();
  });

  afterAll(async () => {
    await connection?.close();
    await vhost?.delete();
  });

  it('should print every event of the log as a JSON line with its offset, then exit 0', async () => {
    const cli = runEvents(vhost.url, ['tail']);
    expect(await cli.exited).toEqual({ code: 0, signal: null });
    const lines = cli.lines();
    expect(lines.map((l) => l['offset'])).toEqual([0, 1, 2, 3]);
    expect(lines.slice(0, 3)).toEqual(
      events.map((event) => ({
        offset: expect.any(Number),
        publishedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        type: integrationEventMessage(event).type,
        routingKey: integrationEventMessage(event).routingKey,
        messageId: event.eventId,
        appId: 'events-spec',
        event: JSON.parse(JSON.stringify(event)),
      })),
    );
    expect(lines[3]).toMatchObject({ offset: 3, messageId: 'broken', invalid: 'malformed-json' });
  });

  it('should print only the events of a routing key, from an offset', async () => {
    const cli = runEvents(vhost.url, ['tail', '--type', 'greeting.greeted', '--from', '1']);
    expect(await cli.exited).toEqual({ code: 0, signal: null });
    expect(cli.lines().map((l) => l['messageId'])).toEqual([events[2]?.eventId, 'broken']);
  });

  it('should follow the log with --follow and stop on SIGTERM with exit 0', async () => {
    const cli = runEvents(vhost.url, ['tail', '--from', 'next', '--follow']);
    const line = LineReceivedIntegrationEvent.create({ line: 'hello', remoteAddress: '127.0.0.1' });
    // The reader attaches at `next`: publish until one arrives, then check that nothing older came.
    await waitFor(
      async () => {
        await publish(line);
        return cli.lines().length > 0;
      },
      { timeoutMs: 30_000, intervalMs: 500, message: 'the follow printed nothing' },
    );
    expect(cli.lines().every((l) => l['messageId'] === line.eventId)).toBe(true);
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toEqual({ code: 0, signal: null });
  });

  it('should refuse a --from it cannot read, with exit 2', async () => {
    const cli = runEvents(vhost.url, ['tail', '--from', 'yesterday']);
    expect(await cli.exited).toEqual({ code: 2, signal: null });
    expect(cli.stderr()).toContain('--from must be first, next, an offset or an ISO time');
  });
});

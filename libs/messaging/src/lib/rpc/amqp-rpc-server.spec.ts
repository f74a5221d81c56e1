import { deadLetterQueueFor, MessageHeaders } from '@hello/contracts';
import { AmqpTestClient, createTestVhost, jsonOf, TestVhost, waitFor } from '@hello/testing';
import type { ConsumeMessage } from 'amqplib';
import { AmqpConnection } from '../connection/amqp-connection';
import { AmqpRpcServer, type AmqpRpcHandler } from './amqp-rpc-server';

// Real RabbitMQ, one vhost per spec: what the request/reply server does with each kind of request,
// settled through the consumers' policy and Settlement.

const QUEUE = 'test.rpc';
const REPLIES = 'test.rpc.replies';

describe('AmqpRpcServer on a real broker', () => {
  let vhost: TestVhost;
  let client: AmqpTestClient;
  let connection: AmqpConnection;
  let server: AmqpRpcServer;
  let replies: ConsumeMessage[];
  const handled: string[] = [];

  const handler: AmqpRpcHandler = async (request) => {
    const { name } = request.body() as { name: string };
    handled.push(name);
    if (name === 'bug') throw new Error('the handler has a bug');
    return { body: { message: `Hello, ${name}!` } };
  };

  beforeAll(async () => {
    vhost = await createTestVhost('rpc-server');
    client = await AmqpTestClient.connect(vhost.url);
    await client.channel.assertQueue(REPLIES, { durable: false, exclusive: true });
    replies = await client.collect(REPLIES);
    connection = new AmqpConnection({ url: vhost.url, connectionName: 'rpc-server-spec' });
    await connection.connect(10_000);
    server = new AmqpRpcServer({ connection, queue: QUEUE, prefetch: 5, appId: 'spec', minTimeLeftMs: 20 });
    server.serve(handler);
    await server.waitUntilConsuming();
  });

  afterAll(async () => {
    await server?.close();
    await connection?.close();
    await client?.close();
    await vhost?.delete();
  });

  const request = (name: string, properties: Record<string, unknown> = {}) =>
    client.publish(QUEUE, JSON.stringify({ name }), {
      contentType: 'application/json',
      replyTo: REPLIES,
      persistent: true,
      ...properties,
    });

  it('should answer a request on reply_to with its correlation id, then ack it', async () => {
    await request('Ada', { messageId: 'req-ada', correlationId: 'c-ada' });
    await waitFor(() => replies.some((r) => r.properties.correlationId === 'c-ada'), { message: 'the reply to Ada' });
    const reply = replies.find((r) => r.properties.correlationId === 'c-ada') as ConsumeMessage;
    expect(jsonOf(reply)).toEqual({ message: 'Hello, Ada!' });
    expect(server.stats()).toMatchObject({ answered: 1 });
  });

  it('should answer a re-sent request from its reply cache without handling it again', async () => {
    await request('Once', { messageId: 'req-once', correlationId: 'c-once-1' });
    await request('Once', { messageId: 'req-once', correlationId: 'c-once-2' });
    await waitFor(() => replies.filter((r) => jsonOf<{ message: string }>(r).message === 'Hello, Once!').length === 2, {
      message: 'two replies to Once',
    });
    expect(handled.filter((name) => name === 'Once')).toHaveLength(1);
    expect(server.stats().repeated).toBe(1);
  });

  it('should dead-letter a request without reply_to (no-reply-to), with the policy headers, and ack it', async () => {
    await client.publish(QUEUE, JSON.stringify({ name: 'Nowhere' }), { messageId: 'req-nowhere', persistent: true });
    const [dead] = await client.get(deadLetterQueueFor(QUEUE), 1, 10_000);
    expect(dead.properties.messageId).toBe('req-nowhere');
    expect(dead.properties.headers).toMatchObject({
      [MessageHeaders.deathReason]: 'no-reply-to',
      [MessageHeaders.attempts]: 1,
    });
    expect(String(dead.properties.headers?.[MessageHeaders.deathDetail])).toMatch(/no reply_to/);
    expect(typeof dead.properties.headers?.[MessageHeaders.deathAt]).toBe('string');
    expect(handled).not.toContain('Nowhere');
  });

  it('should dead-letter a request whose handler throws (handler-failed) at once, without a retry', async () => {
    await request('bug', { messageId: 'req-bug', correlationId: 'c-bug' });
    const [dead] = await client.get(deadLetterQueueFor(QUEUE), 1, 10_000);
    expect(dead.properties.messageId).toBe('req-bug');
    expect(dead.properties.headers?.[MessageHeaders.deathReason]).toBe('handler-failed');
    expect(String(dead.properties.headers?.[MessageHeaders.deathDetail])).toBe('Error: the handler has a bug');
    expect(handled.filter((name) => name === 'bug')).toHaveLength(1);
    expect(replies.some((r) => r.properties.correlationId === 'c-bug')).toBe(false);
    expect(server.stats().deadLettered).toBe(2);
  });

  it('should ack a request past its deadline without handling or answering it', async () => {
    await request('Late', {
      messageId: 'req-late',
      correlationId: 'c-late',
      headers: { [MessageHeaders.deadline]: Date.now() - 1 },
    });
    await waitFor(() => server.stats().expired === 1, { message: 'the late request dropped' });
    expect(handled).not.toContain('Late');
    expect(replies.some((r) => r.properties.correlationId === 'c-late')).toBe(false);
  });

  it('should have settled every request: closing the server gives none back to the queue', async () => {
    await server.close();
    // A request left unacked would be ready again once the server's channel is closed.
    expect((await client.channel.checkQueue(QUEUE)).messageCount).toBe(0);
  });
});

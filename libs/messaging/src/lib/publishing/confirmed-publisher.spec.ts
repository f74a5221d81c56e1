import { createServer, connect as connectTcp, Socket } from 'node:net';
import { lastValueFrom } from 'rxjs';
import { MessageHeaders } from '@hello/contracts';
import { AmqpTestClient, createTestVhost, freePort, jsonOf, TestVhost, textOf } from '@hello/testing';
import { AmqpConnection } from '../connection/amqp-connection';
import { PublishTimeoutError, UnroutableMessageError } from '../errors';
import { workQueueTopology } from '../topology/topology';
import { AmqpClient, AmqpRecord } from './amqp-client';
import { ConfirmedPublisher } from './confirmed-publisher';

describe('ConfirmedPublisher', () => {
  let vhost: TestVhost;
  let connection: AmqpConnection;
  let publisher: ConfirmedPublisher;
  let client: AmqpTestClient;

  beforeAll(async () => {
    vhost = await createTestVhost('publisher');
    connection = new AmqpConnection({
      url: vhost.url,
      connectionName: 'publisher-spec',
    });
    await connection.connect(5_000);
    publisher = new ConfirmedPublisher({
      connection,
      appId: 'publisher-spec',
      timeoutMs: 2_000,
      topology: workQueueTopology('jobs'),
    });
    await publisher.waitForConnect();
    client = await AmqpTestClient.connect(vhost.url);
  });

  afterAll(async () => {
    await client?.close();
    await publisher?.close();
    await connection?.close();
    await vhost?.delete();
  });

  it('should publish a persistent JSON message with its metadata in AMQP properties', async () => {
    await publisher.publish({
      exchange: '',
      routingKey: 'jobs',
      body: { text: 'hi' },
      messageId: 'm-1',
      type: 'job.v1',
      correlationId: 'c-1',
      mandatory: true,
    });
    const [message] = await client.get('jobs', 1);
    expect(jsonOf(message)).toEqual({ text: 'hi' });
    expect(message.properties).toMatchObject({
      messageId: 'm-1',
      type: 'job.v1',
      correlationId: 'c-1',
      contentType: 'application/json',
      appId: 'publisher-spec',
      deliveryMode: 2,
    });
    expect(typeof message.properties.timestamp).toBe('number');
    expect(message.properties.headers?.[MessageHeaders.traceparent]).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  });

  it('should publish a string body as UTF-8 text', async () => {
    await publisher.publish({
      exchange: '',
      routingKey: 'jobs',
      body: 'grüß dich',
      messageId: 'm-2',
      type: 'job.v1',
    });
    const [message] = await client.get('jobs', 1);
    expect(textOf(message)).toBe('grüß dich');
    expect(message.properties.contentType).toBe('text/plain; charset=utf-8');
  });

  it('should fail a mandatory message that no queue receives', async () => {
    await expect(
      publisher.publish({
        exchange: '',
        routingKey: 'no-such-queue',
        body: {},
        messageId: 'm-3',
        type: 'job.v1',
        mandatory: true,
      }),
    ).rejects.toBeInstanceOf(UnroutableMessageError);
  });

  it('should keep the publish order of messages published before the channel opens and after', async () => {
    const fresh = new AmqpConnection({
      url: vhost.url,
      connectionName: 'publisher-spec-order',
    });
    const ordered = new ConfirmedPublisher({
      connection: fresh,
      appId: 'publisher-spec',
      topology: workQueueTopology('ordered'),
    });
    try {
      const confirms: Array<Promise<void>> = [];
      const ids: string[] = [];
      const publish = (body: string) => {
        const messageId = `o-${ids.length}`;
        ids.push(messageId);
        confirms.push(
          ordered.publish({
            exchange: '',
            routingKey: 'ordered',
            body,
            messageId,
            type: 'job.v1',
            mandatory: true,
          }),
        );
      };
      // Queued in the channel wrapper until the channel is open; it sends them 1000 at a time, so some
      // are still queued when the channel is already open.
      for (let i = 0; i < 1100; i++) publish('queued before the channel opened');
      await ordered.waitForConnect();
      for (let i = 0; i < 50; i++) publish('right after the channel opened');
      await new Promise((resolve) => setTimeout(resolve, 20));
      for (let i = 0; i < 50; i++) publish('later');
      await Promise.all(confirms);
      const received = await client.drain('ordered');
      expect(received.map((m) => m.properties.messageId)).toEqual(ids);
    } finally {
      await ordered.close();
      await fresh.close();
    }
  });

  it('should get every message confirmed when the connection drops with publishes in flight', async () => {
    const proxy = await startPausableProxy(new URL(vhost.url));
    const fragile = new AmqpConnection({
      url: proxy.url,
      connectionName: 'publisher-spec-drop',
      reconnectDelayMs: 100,
    });
    const resilient = new ConfirmedPublisher({
      connection: fragile,
      appId: 'publisher-spec',
      timeoutMs: 10_000,
      topology: workQueueTopology('dropped'),
    });
    try {
      await resilient.waitForConnect();
      const ids = Array.from({ length: 2000 }, (_, i) => `d-${i}`);
      const confirms = ids.map((messageId) =>
        resilient.publish({
          exchange: '',
          routingKey: 'dropped',
          body: {},
          messageId,
          type: 'job.v1',
          mandatory: true,
        }),
      );
      // What a network failure does: the connection is reset under unconfirmed publishes.
      proxy.reset();
      await Promise.all(confirms);
      const received = await client.drain('dropped');
      // A publish whose confirm was lost is sent again: duplicates are allowed, losses are not.
      expect(new Set(received.map((m) => m.properties.messageId))).toEqual(new Set(ids));
    } finally {
      await resilient.close();
      await fragile.close();
      proxy.close();
    }
  }, 20_000);

  it('should give up with PublishTimeoutError when the broker never confirms', async () => {
    const proxy = await startPausableProxy(new URL(vhost.url));
    const stalled = new AmqpConnection({
      url: proxy.url,
      connectionName: 'publisher-spec-stalled',
    });
    const waiting = new ConfirmedPublisher({
      connection: stalled,
      appId: 'publisher-spec',
      timeoutMs: 500,
      topology: workQueueTopology('jobs'),
    });
    try {
      await waiting.waitForConnect();
      // The connection stays up (no heartbeat is missed yet) but nothing comes back from the broker.
      proxy.pause();
      const started = Date.now();
      await expect(
        waiting.publish({
          exchange: '',
          routingKey: 'jobs',
          body: {},
          messageId: 'm-stalled',
          type: 'job.v1',
        }),
      ).rejects.toBeInstanceOf(PublishTimeoutError);
      expect(Date.now() - started).toBeGreaterThanOrEqual(450);
      expect(Date.now() - started).toBeLessThan(3_000);
    } finally {
      proxy.resume();
      await waiting.close();
      await stalled.close();
      proxy.close();
    }
  });

  it('should give up with PublishTimeoutError when the broker is unreachable', async () => {
    const port = await freePort();
    const offline = new AmqpConnection({
      url: `amqp://guest:guest@127.0.0.1:${port}`,
      connectionName: 'offline',
      reconnectDelayMs: 100,
    });
    const lonely = new ConfirmedPublisher({
      connection: offline,
      appId: 'offline',
      timeoutMs: 500,
    });
    const started = Date.now();
    try {
      await expect(
        lonely.publish({
          exchange: '',
          routingKey: 'jobs',
          body: {},
          messageId: 'm-4',
          type: 'job.v1',
        }),
      ).rejects.toBeInstanceOf(PublishTimeoutError);
      expect(Date.now() - started).toBeGreaterThanOrEqual(450);
      expect(Date.now() - started).toBeLessThan(3_000);
    } finally {
      await lonely.close();
      await offline.close();
    }
  });
});

describe('AmqpClient', () => {
  let vhost: TestVhost;
  let connection: AmqpConnection;
  let amqpClient: AmqpClient;
  let client: AmqpTestClient;

  beforeAll(async () => {
    vhost = await createTestVhost('amqp-client');
    connection = new AmqpConnection({
      url: vhost.url,
      connectionName: 'client-spec',
    });
    await connection.connect(5_000);
    const publisher = new ConfirmedPublisher({
      connection,
      appId: 'client-spec',
      topology: workQueueTopology('jobs'),
    });
    amqpClient = new AmqpClient({
      publisher,
      exchange: '',
      routingKey: 'jobs',
      mandatory: true,
    });
    client = await AmqpTestClient.connect(vhost.url);
  });

  afterAll(async () => {
    await client?.close();
    await amqpClient?.close();
    await connection?.close();
    await vhost?.delete();
  });

  it('should emit a message whose AMQP type is the pattern, completing after the confirm', async () => {
    await lastValueFrom(
      amqpClient.emit('job.v1', new AmqpRecord({ text: 'x' }, { messageId: 'e-1', correlationId: 'c' })),
      {
        defaultValue: undefined,
      },
    );
    const [message] = await client.get('jobs', 1);
    expect(message.properties).toMatchObject({
      messageId: 'e-1',
      type: 'job.v1',
      correlationId: 'c',
    });
    expect(jsonOf(message)).toEqual({ text: 'x' });
  });

  it('should refuse request-response', async () => {
    await expect(lastValueFrom(amqpClient.send('job.v1', {}))).rejects.toThrow(/emit\(\) only/);
  });
});

/**
 * A TCP proxy to the broker of `target`. `pause()` holds back what the broker sends, leaving the
 * connection open (a broker that does not answer); `resume()` passes it on again; `reset()` resets
 * the connections made so far (a network failure), new ones are proxied again.
 */
async function startPausableProxy(target: URL): Promise<{
  url: string;
  pause(): void;
  resume(): void;
  reset(): void;
  close(): void;
}> {
  const sockets = new Set<Socket>();
  const pipes: Array<{ from: Socket; to: Socket }> = [];
  const server = createServer((client) => {
    const upstream = connectTcp(Number(target.port), target.hostname);
    sockets.add(client).add(upstream);
    client.on('error', () => undefined);
    upstream.on('error', () => undefined);
    client.pipe(upstream);
    upstream.pipe(client);
    pipes.push({ from: upstream, to: client });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  const url = new URL(target.toString());
  url.hostname = '127.0.0.1';
  url.port = String(typeof address === 'object' && address ? address.port : 0);
  return {
    url: url.toString(),
    pause: () => pipes.forEach(({ from, to }) => from.unpipe(to)),
    resume: () => pipes.forEach(({ from, to }) => from.pipe(to)),
    reset: () => {
      for (const socket of sockets) socket.resetAndDestroy();
      sockets.clear();
      pipes.length = 0;
    },
    close: () => {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}

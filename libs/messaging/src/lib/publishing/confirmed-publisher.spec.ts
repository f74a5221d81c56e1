import { lastValueFrom } from 'rxjs';
import { Headers } from '@hello/contracts';
import {
  AmqpTestClient,
  createTestVhost,
  freePort,
  jsonOf,
  TestVhost,
  textOf,
} from '@hello/testing';
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
    expect(message.properties.headers?.[Headers.traceparent]).toMatch(
      /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/,
    );
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
      amqpClient.emit(
        'job.v1',
        new AmqpRecord({ text: 'x' }, { messageId: 'e-1', correlationId: 'c' }),
      ),
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
    await expect(lastValueFrom(amqpClient.send('job.v1', {}))).rejects.toThrow(
      /emit\(\) only/,
    );
  });
});

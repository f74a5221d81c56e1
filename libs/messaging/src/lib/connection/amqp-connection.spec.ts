import type { Writable } from 'node:stream';
import { createTestVhost, TestVhost } from '@hello/testing';
import { ConfirmedPublisher } from '../publishing/confirmed-publisher';
import { AmqpConnection } from './amqp-connection';

describe('AmqpConnection', () => {
  let vhost: TestVhost;
  let connection: AmqpConnection;
  let publisher: ConfirmedPublisher;

  beforeAll(async () => {
    vhost = await createTestVhost('connection');
    connection = new AmqpConnection({ url: vhost.url, connectionName: 'connection-spec' });
    await connection.connect(5_000);
    publisher = new ConfirmedPublisher({ connection, appId: 'connection-spec', timeoutMs: 5_000 });
    await publisher.waitForConnect();
  });

  afterAll(async () => {
    await publisher?.close();
    await connection?.close();
    await vhost?.delete();
  });

  it('should let a corked socket take a whole burst of publishes, so it goes out in one write', async () => {
    const model = connection.manager.connection as unknown as { connection: { stream: Writable } };
    const socket = model.connection.stream;
    const burst = 400;
    const text = 'x'.repeat(200);

    socket.cork();
    const confirms = Array.from({ length: burst }, (_, n) =>
      publisher.publish({ exchange: 'amq.topic', routingKey: 'burst', body: { n, text }, messageId: `b-${n}`, type: 'burst.v1' }),
    );
    // amqplib hands frames to the socket on a later turn of the event loop.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const buffered = socket.writableLength;
    socket.uncork();
    await Promise.all(confirms);

    // Far beyond Node's default 16 KiB high-water mark, at which amqplib would stop and then write
    // each frame on its own once the socket drained.
    expect(buffered).toBeGreaterThan(burst * text.length);
  });
});

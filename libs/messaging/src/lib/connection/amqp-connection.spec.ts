import type { Writable } from 'node:stream';
import { createTestVhost, freePort, TestVhost } from '@hello/testing';
import { ConfirmedPublisher } from '../publishing/confirmed-publisher';
import { AmqpConnection } from './amqp-connection';
import { socketOfAmqpConnection } from './coalesce-writes';

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

  it('should send a burst of publishes to the broker in a handful of socket writes', async () => {
    const socket = socketOfAmqpConnection(connection.manager.connection) as Writable & {
      _write: (...args: unknown[]) => void;
      _writev: (...args: unknown[]) => void;
    };
    let writes = 0;
    const { _write, _writev } = socket;
    socket._write = function (...args: unknown[]) {
      writes++;
      return _write.apply(this, args);
    };
    socket._writev = function (...args: unknown[]) {
      writes++;
      return _writev.apply(this, args);
    };
    try {
      const burst = 400;
      const text = 'x'.repeat(200);
      await Promise.all(
        Array.from({ length: burst }, (_, n) =>
          publisher.publish({
            exchange: 'amq.topic',
            routingKey: 'burst',
            body: { n, text },
            messageId: `b-${n}`,
            type: 'burst.v1',
          }),
        ),
      );
      // All confirmed; one write per frame would be 400 (and ~80 KiB is far past Node's default
      // 16 KiB high-water mark, where amqplib would stop and then write frame by frame).
      expect(writes).toBeGreaterThan(0);
      expect(writes).toBeLessThan(10);
    } finally {
      socket._write = _write;
      socket._writev = _writev;
    }
  });

  it('should try the next node URL of a list when one cannot be reached', async () => {
    // Nothing listens on the first port: the connection goes on to the next URL of the list.
    const deadNode = `amqp://guest:guest@127.0.0.1:${await freePort()}`;
    const cluster = new AmqpConnection({
      url: `${deadNode},${vhost.url}`,
      connectionName: 'connection-spec-list',
      reconnectDelayMs: 100,
    });
    try {
      await cluster.connect(10_000);
      expect(cluster.isConnected()).toBe(true);
      expect(cluster.redactedNodeUrl).toBe(new URL(vhost.url).toString().replace(/:[^:@/]*@/, ':***@'));
    } finally {
      await cluster.close();
    }
  });
});

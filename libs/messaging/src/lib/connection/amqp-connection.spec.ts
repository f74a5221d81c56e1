import { createTestVhost, freePort, TestVhost } from '@hello/testing';
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

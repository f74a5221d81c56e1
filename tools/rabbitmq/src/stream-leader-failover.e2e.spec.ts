import * as amqp from 'amqplib';
import { STREAM_INITIAL_CLUSTER_SIZE, StreamReader, type StreamDelivery } from '@hello/messaging';
import { freePort, waitFor } from '@hello/testing';
import { startCluster } from '@hello/infra/rabbitmq/cluster';

// A reader of a stream replicated on a three-node cluster of the test's own (cluster.cjs), connected
// to the node that leads the stream when that node is killed (SIGKILL): it reconnects to another
// node and resumes after its last offset, so it hands over every entry once, in order.

jest.setTimeout(600_000);

const ENTRIES = 3_000;
const STREAM = 'failover.log';

interface Node {
  nodeName: string;
  url: string;
  running: boolean;
  kill(): Promise<void>;
}
interface Cluster {
  nodes: Node[];
  leaderOf(queue: string): Promise<Node | undefined>;
  stop(): Promise<void>;
}

describe('a stream reader when the node leading its stream is killed', () => {
  let cluster: Cluster;

  beforeAll(async () => {
    cluster = await startCluster({
      nodes: 3,
      name: `stream-failover-${process.pid}`,
      epmdPort: await freePort(),
      management: false,
    });
    const connection = await amqp.connect(cluster.nodes[0]?.url as string);
    const channel = await connection.createConfirmChannel();
    await channel.assertQueue(STREAM, {
      durable: true,
      arguments: { 'x-queue-type': 'stream', 'x-initial-cluster-size': STREAM_INITIAL_CLUSTER_SIZE },
    });
    for (let i = 0; i < ENTRIES; i++) channel.sendToQueue(STREAM, Buffer.from(`e${i}`), { messageId: `e${i}` });
    await channel.waitForConfirms();
    await connection.close();
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  it('should resume on another node after its last offset, with no gap and no repeat', async () => {
    const leader = await waitFor(() => cluster.leaderOf(STREAM), { timeoutMs: 30_000, message: 'no leader' });
    const others = cluster.nodes.filter((n) => n !== leader);
    const got: StreamDelivery[] = [];
    const reader = new StreamReader({
      // The leader first: the reader's connection is on the node that dies.
      url: [leader, ...others].map((n) => (n as Node).url).join(','),
      connectionName: 'stream-failover-spec',
      stream: STREAM,
      from: 'first',
      until: 'follow',
      prefetch: 50,
      reconnectDelayMs: 500,
    });
    const run = reader.run(async (delivery) => {
      got.push(delivery);
      await new Promise((done) => setTimeout(done, 1));
    });
    await waitFor(() => got.length >= 300, { timeoutMs: 30_000, message: 'the read never started' });
    await (leader as Node).kill();
    await waitFor(() => got.length >= ENTRIES, { timeoutMs: 120_000, message: 'not every entry came after the kill' });
    reader.stop();
    await run;
    expect(got.map((d) => d.offset)).toEqual(Array.from({ length: ENTRIES }, (_, i) => i));
    expect(got.map((d) => d.message.properties.messageId)).toEqual(Array.from({ length: ENTRIES }, (_, i) => `e${i}`));
  });
});

import * as amqp from 'amqplib';
import { randomUUID } from 'node:crypto';
import { createTestVhost, managementApi, managementRequest, TestVhost, waitFor } from '@hello/testing';
import { StreamDelivery, StreamReader, StreamReaderOptions } from './stream-reader';

// A real stream on the test broker: offsets, prefetch and acks as RabbitMQ 3.10 serves them over AMQP 0.9.1.

describe('StreamReader', () => {
  let vhost: TestVhost;
  let connection: amqp.ChannelModel;
  let channel: amqp.ConfirmChannel;

  beforeAll(async () => {
    vhost = await createTestVhost('stream-reader');
    connection = await amqp.connect(vhost.url);
    channel = await connection.createConfirmChannel();
  });

  afterAll(async () => {
    await connection?.close();
    await vhost?.delete();
  });

  async function newStream(): Promise<string> {
    const stream = `log-${randomUUID().slice(0, 8)}`;
    await channel.assertQueue(stream, { durable: true, arguments: { 'x-queue-type': 'stream' } });
    return stream;
  }

  /** Publishes `count` messages, each confirmed; returns their ids in order. */
  async function append(stream: string, count: number, prefix = 'm'): Promise<string[]> {
    const ids = Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
    for (const id of ids) channel.sendToQueue(stream, Buffer.from(id), { messageId: id });
    await channel.waitForConfirms();
    return ids;
  }

  function reader(stream: string, options: Partial<StreamReaderOptions>): StreamReader {
    return new StreamReader({
      url: vhost.url,
      connectionName: `stream-reader-spec:${stream}`,
      stream,
      from: 'first',
      until: 'tail',
      prefetch: 10,
      reconnectDelayMs: 200,
      ...options,
    });
  }

  function collect(into: StreamDelivery[]): (delivery: StreamDelivery) => void {
    return (delivery) => void into.push(delivery);
  }

  const idsOf = (deliveries: StreamDelivery[]) => deliveries.map((d) => d.message.properties.messageId as string);
  const offsetsOf = (deliveries: StreamDelivery[]) => deliveries.map((d) => d.offset);

  it('should read from the first offset to the tail, each message once, in order, with its offset', async () => {
    const stream = await newStream();
    const ids = [...(await append(stream, 30, 'a')), ...(await append(stream, 20, 'b'))];
    const got: StreamDelivery[] = [];
    const result = await reader(stream, {}).run(collect(got));
    expect(idsOf(got)).toEqual(ids);
    expect(offsetsOf(got)).toEqual(ids.map((_, i) => i));
    expect(result).toEqual({ delivered: 50, firstOffset: 0, lastOffset: 49, tail: 49 });
  });

  it('should stop at the tail it saw at the start, not at messages appended while it reads', async () => {
    const stream = await newStream();
    const ids = await append(stream, 40);
    const got: StreamDelivery[] = [];
    let appended = false;
    const result = await reader(stream, {}).run(async (delivery) => {
      got.push(delivery);
      if (!appended) {
        appended = true;
        await append(stream, 25, 'late');
      }
    });
    expect(idsOf(got)).toEqual(ids);
    expect(result.tail).toBe(39);
  });

  it('should hand over batches of at most the size asked, every offset once and in order', async () => {
    const stream = await newStream();
    const ids = await append(stream, 120);
    const batches: StreamDelivery[][] = [];
    const result = await reader(stream, { prefetch: 100 }).runBatches((batch) => void batches.push([...batch]), 25);
    expect(Math.max(...batches.map((b) => b.length))).toBeLessThanOrEqual(25);
    // A catch-up gets full batches, not one message at a time.
    expect(batches.length).toBeLessThan(20);
    expect(idsOf(batches.flat())).toEqual(ids);
    expect(result).toMatchObject({ delivered: 120, lastOffset: 119 });
  });

  it('should start at a numeric offset', async () => {
    const stream = await newStream();
    const ids = await append(stream, 30);
    const got: StreamDelivery[] = [];
    await reader(stream, { from: 17 }).run(collect(got));
    expect(idsOf(got)).toEqual(ids.slice(17));
    expect(got[0]?.offset).toBe(17);
  });

  it('should start at a time: what was appended after it, not before', async () => {
    const stream = await newStream();
    await append(stream, 10, 'before');
    // AMQP timestamps are whole seconds.
    await new Promise((done) => setTimeout(done, 1_100));
    const from = new Date();
    await new Promise((done) => setTimeout(done, 1_100));
    const after = await append(stream, 10, 'after');
    const got: StreamDelivery[] = [];
    await reader(stream, { from }).run(collect(got));
    expect(idsOf(got)).toEqual(after);
  });

  it('should read nothing from an empty stream, or from a time after its last message', async () => {
    const stream = await newStream();
    expect(await reader(stream, {}).run(() => undefined)).toEqual({ delivered: 0 });
    await append(stream, 5);
    await new Promise((done) => setTimeout(done, 1_100));
    const got: StreamDelivery[] = [];
    await reader(stream, { from: new Date(Date.now() - 100), emptyAfterMs: 500 }).run(collect(got));
    expect(got).toEqual([]);
  });

  it('should refuse a stream that does not exist', async () => {
    await expect(reader('no-such-stream', {}).run(() => undefined)).rejects.toThrow(/NOT_FOUND/);
  });

  it('should follow the stream until stopped', async () => {
    const stream = await newStream();
    const ids = await append(stream, 10);
    const got: StreamDelivery[] = [];
    const following = reader(stream, { until: 'follow' });
    const run = following.run(collect(got));
    await waitFor(() => got.length === 10, { timeoutMs: 5_000, message: 'the first 10 never came' });
    const more = await append(stream, 15, 'more');
    await waitFor(() => got.length === 25, { timeoutMs: 5_000, message: 'the appended 15 never came' });
    following.stop();
    const result = await run;
    expect(idsOf(got)).toEqual([...ids, ...more]);
    expect(result.lastOffset).toBe(24);
  });

  it('should resume after its last offset when the broker closes its connection, with no gap and no repeat', async () => {
    const stream = await newStream();
    const ids = await append(stream, 200);
    const got: StreamDelivery[] = [];
    const name = `stream-reader-spec:${stream}`;
    const following = reader(stream, { until: 'follow', connectionName: name });
    // Slow enough that the close lands mid-read, with deliveries still queued in the reader.
    const run = following.run(async (delivery) => {
      got.push(delivery);
      await new Promise((done) => setTimeout(done, 5));
    });
    await waitFor(() => got.length >= 20, { timeoutMs: 5_000, message: 'the read never started' });
    const closed = await closeConnection(vhost.vhost, name);
    const more = await append(stream, 50, 'after-close');
    await waitFor(() => got.length >= 250, { timeoutMs: 20_000, message: 'not all 250 came' });
    following.stop();
    await run;
    expect(closed).toBe(true);
    expect(offsetsOf(got)).toEqual([...ids, ...more].map((_, i) => i));
    expect(idsOf(got)).toEqual([...ids, ...more]);
  });
});

/** Closes the connection of that name through the management API, as an operator (or a failover) would. */
async function closeConnection(vhost: string, connectionName: string): Promise<boolean> {
  const api = managementApi();
  let found: string | undefined;
  await waitFor(
    async () => {
      const connections = await managementRequest<{ name: string; client_properties?: Record<string, unknown> }[]>(
        api,
        'GET',
        `vhosts/${encodeURIComponent(vhost)}/connections`,
      );
      found = connections.find((c) => c.client_properties?.['connection_name'] === connectionName)?.name;
      return found !== undefined;
    },
    { timeoutMs: 15_000, intervalMs: 200, message: `no connection named ${connectionName}` },
  );
  if (!found) return false;
  await managementRequest(api, 'DELETE', `connections/${encodeURIComponent(found)}`);
  return true;
}

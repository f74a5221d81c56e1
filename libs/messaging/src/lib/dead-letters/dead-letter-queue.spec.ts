import { MessageHeaders, Topology } from '@hello/contracts';
import { AmqpTestClient, createTestVhost, TestVhost, waitFor } from '@hello/testing';
import { deadLetterQueueArguments, workQueueArguments } from '../topology/topology';
import { DeadLetterQueue } from './dead-letter-queue';

// The command line over it (npm run dlq) is specified in tools/ops/test/dlq.e2e.spec.ts.
describe('DeadLetterQueue (real RabbitMQ)', () => {
  let vhost: TestVhost;
  let client: AmqpTestClient;

  const deadLetter = (id: string, reason: string, extra: Record<string, unknown> = {}) =>
    client.publish(Topology.helloDeadLetterQueue, JSON.stringify({ text: id }), {
      messageId: id,
      type: 'hello.message.v1',
      contentType: 'application/json',
      persistent: true,
      timestamp: Math.floor(Date.now() / 1000) - 60,
      headers: {
        [MessageHeaders.deathReason]: reason,
        [MessageHeaders.deathDetail]: `${reason}: detail of ${id}`,
        [MessageHeaders.deathAt]: new Date(Date.now() - 30_000).toISOString(),
        [MessageHeaders.attempts]: 3,
        traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
        ...extra,
      },
    });

  const messagesOf = async (queue: string) => (await client.channel.checkQueue(queue)).messageCount;

  beforeEach(async () => {
    vhost = await createTestVhost('dlq');
    client = await AmqpTestClient.connect(vhost.url);
    await client.channel.assertQueue(Topology.helloQueue, {
      durable: true,
      arguments: workQueueArguments(Topology.helloQueue),
    });
    await client.channel.assertQueue(Topology.helloDeadLetterQueue, {
      durable: true,
      arguments: deadLetterQueueArguments(),
    });
  });

  afterEach(async () => {
    await client?.close();
    await vhost?.delete();
  });

  it('should list counts by reason and the age of the oldest, and show headers and bodies, leaving every message', async () => {
    await deadLetter('a', 'malformed-json');
    await deadLetter('b', 'handler-failed');
    await deadLetter('c', 'handler-failed');
    const queue = await DeadLetterQueue.open(vhost.url, Topology.helloDeadLetterQueue);
    try {
      const summary = await queue.list();
      expect(summary).toMatchObject({
        queue: 'hello.dead',
        messages: 3,
        byReason: { 'malformed-json': 1, 'handler-failed': 2 },
      });
      expect(summary.oldestAgeSeconds).toBeGreaterThanOrEqual(29);
      const shown = await queue.show({ reason: 'handler-failed', limit: 1 });
      expect(shown).toEqual([
        expect.objectContaining({
          messageId: 'b',
          reason: 'handler-failed',
          detail: 'handler-failed: detail of b',
          sourceQueue: 'hello',
          body: '{"text":"b"}',
        }),
      ]);
    } finally {
      await queue.close();
    }
    await waitFor(async () => (await messagesOf(Topology.helloDeadLetterQueue)) === 3, { message: 'all three back' });
  });
});

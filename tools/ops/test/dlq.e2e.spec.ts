import { MessageHeaders, Topology } from '@hello/contracts';
import { deadLetterQueueArguments, workQueueArguments } from '@hello/messaging';
import { AmqpTestClient, createTestVhost, TestVhost, waitFor } from '@hello/testing';
import { runOps } from './run-ops';

// `npm run dlq -- …` as an operator runs it: the built CLI (over @hello/messaging's DeadLetterQueue), a
// process of its own, on a real broker.

describe('npm run dlq (real RabbitMQ)', () => {
  let vhost: TestVhost;
  let client: AmqpTestClient;
  const dlq = (args: string[]) => runOps(['dlq', ...args], { RABBITMQ_URL: vhost.url });

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
    const list = dlq(['list']);
    expect(await list.exited).toEqual({ code: 0, signal: null });
    const listing =
      /^hello\.dead at amqp:\/\/guest:\*\*\*@[^ ]+: 3 messages, oldest (\d+) s old\n {7}2 {2}handler-failed\n {7}1 {2}malformed-json\n$/;
    expect(list.stdout()).toMatch(listing);
    expect(Number(listing.exec(list.stdout())?.[1])).toBeGreaterThanOrEqual(29);

    const show = dlq(['show', '--reason', 'handler-failed', '--limit', '1']);
    expect(await show.exited).toEqual({ code: 0, signal: null });
    expect(show.lines()).toEqual([
      expect.objectContaining({
        messageId: 'b',
        reason: 'handler-failed',
        detail: 'handler-failed: detail of b',
        sourceQueue: 'hello',
        body: '{"text":"b"}',
      }),
    ]);
    await waitFor(async () => (await messagesOf(Topology.helloDeadLetterQueue)) === 3, { message: 'all three back' });
  });

  it('should redrive only the reason asked for, clearing the death headers and counting the re-drive', async () => {
    await deadLetter('a', 'malformed-json');
    await deadLetter('b', 'handler-failed', { [MessageHeaders.redriven]: 1 });
    const cli = dlq(['redrive', '--reason', 'handler-failed']);
    expect(await cli.exited).toEqual({ code: 0, signal: null });
    expect(cli.stdout()).toBe('moved b to hello\nmoved 1 messages\n');
    const [moved] = await client.get(Topology.helloQueue, 1);
    expect(moved.properties.messageId).toBe('b');
    expect(moved.content.toString()).toBe('{"text":"b"}');
    // The broker adds x-delivery-count to every quorum-queue delivery.
    const headers = { ...moved.properties.headers };
    delete headers['x-delivery-count'];
    expect(headers).toEqual({
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      [MessageHeaders.redriven]: 2,
    });
    await waitFor(async () => (await messagesOf(Topology.helloDeadLetterQueue)) === 1, {
      message: 'a left on hello.dead',
    });
    const [left] = await client.get(Topology.helloDeadLetterQueue, 1);
    expect(left.properties.messageId).toBe('a');
  });

  it('should move nothing on a dry run, and list from the command line', async () => {
    await deadLetter('a', 'malformed-json');
    const dry = dlq(['redrive', '--dry-run']);
    expect(await dry.exited).toEqual({ code: 0, signal: null });
    expect(dry.stdout()).toBe('would move a (malformed-json) to hello\ndry run: 1 messages would be moved\n');
    const list = dlq(['list']);
    expect(await list.exited).toEqual({ code: 0, signal: null });
    expect(list.stdout()).toMatch(
      /^hello\.dead at amqp:\/\/guest:\*\*\*@[^ ]+: 1 messages, oldest \d+ s old\n {7}1 {2}malformed-json\n$/,
    );
    expect(await messagesOf(Topology.helloQueue)).toBe(0);
  });

  it('should refuse to redrive into a queue that does not exist, moving nothing', async () => {
    await deadLetter('a', 'malformed-json');
    const cli = dlq(['redrive', '--to', 'nowhere']);
    expect((await cli.exited).code).toBe(1);
    expect(cli.stderr()).toContain("dlq: the source queue 'nowhere' does not exist");
    await waitFor(async () => (await messagesOf(Topology.helloDeadLetterQueue)) === 1, {
      message: 'a still dead-lettered',
    });
  });

  it('should lose no message when killed midway and run again, a repeat carrying the same message id', async () => {
    const count = 300;
    for (let i = 0; i < count; i++) await deadLetter(`m-${i}`, 'handler-failed');
    const first = dlq(['redrive']);
    await waitFor(() => (first.stdout().match(/^moved m-/gm)?.length ?? 0) >= 40, {
      timeoutMs: 60_000,
      message: '40 messages moved by the first run',
    });
    first.child.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    const movedByFirst = first.stdout().match(/^moved m-/gm)?.length ?? 0;
    expect(movedByFirst).toBeLessThan(count);

    const second = dlq(['redrive']);
    expect(await second.exited).toEqual({ code: 0, signal: null });
    const movedBySecond = Number(/^moved (\d+) messages$/m.exec(second.stdout())?.[1]);
    expect(movedBySecond).toBeGreaterThan(0);
    // Each copy is confirmed before its dead letter is acked: the message being moved at the kill is
    // moved by one of the runs, or — killed between its confirm and its ack — by both, with the same
    // message id (which the consumer's de-duplication drops). Never by neither.
    const ids = (await client.drain(Topology.helloQueue, 1_000)).map((m) => String(m.properties.messageId));
    expect(new Set(ids)).toEqual(new Set(Array.from({ length: count }, (_, i) => `m-${i}`)));
    expect(ids.length - count).toBeLessThanOrEqual(1);
    expect(await messagesOf(Topology.helloDeadLetterQueue)).toBe(0);
  }, 120_000);
});

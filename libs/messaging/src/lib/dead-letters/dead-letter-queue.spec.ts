import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { MessageHeaders, Topology } from '@hello/contracts';
import { AmqpTestClient, createTestVhost, TestVhost, waitFor } from '@hello/testing';
import { deadLetterQueueArguments, workQueueArguments } from '../topology/topology';
import { DeadLetterQueue } from './dead-letter-queue';

const ROOT = path.resolve(__dirname, '..', '..', '..', '..', '..');

/** Runs `npm run dlq -- …` as a separate process (as an operator would), against `url`. */
function runDlq(url: string, args: string[]) {
  const child = spawn(
    process.execPath,
    ['-r', path.join(ROOT, 'libs/testing/src/lib/ts-register.cjs'), path.join(ROOT, 'tools/dlq/main.ts'), ...args],
    { cwd: ROOT, env: { ...process.env, RABBITMQ_URL: url }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, exited, stdout: () => stdout, stderr: () => stderr };
}

describe('DeadLetterQueue and npm run dlq (real RabbitMQ)', () => {
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

  it('should redrive only the reason asked for, clearing the death headers and counting the re-drive', async () => {
    await deadLetter('a', 'malformed-json');
    await deadLetter('b', 'handler-failed', { [MessageHeaders.redriven]: 1 });
    const cli = runDlq(vhost.url, ['redrive', '--reason', 'handler-failed']);
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
    const dry = runDlq(vhost.url, ['redrive', '--dry-run']);
    expect(await dry.exited).toEqual({ code: 0, signal: null });
    expect(dry.stdout()).toBe('would move a (malformed-json) to hello\ndry run: 1 messages would be moved\n');
    const list = runDlq(vhost.url, ['list']);
    expect(await list.exited).toEqual({ code: 0, signal: null });
    expect(list.stdout()).toMatch(
      /^hello\.dead at amqp:\/\/guest:\*\*\*@[^ ]+: 1 messages, oldest \d+ s old\n {7}1 {2}malformed-json\n$/,
    );
    expect(await messagesOf(Topology.helloQueue)).toBe(0);
  });

  it('should refuse to redrive into a queue that does not exist, moving nothing', async () => {
    await deadLetter('a', 'malformed-json');
    const cli = runDlq(vhost.url, ['redrive', '--to', 'nowhere']);
    expect((await cli.exited).code).toBe(1);
    expect(cli.stderr()).toContain("dlq: the source queue 'nowhere' does not exist");
    await waitFor(async () => (await messagesOf(Topology.helloDeadLetterQueue)) === 1, {
      message: 'a still dead-lettered',
    });
  });

  it('should lose no message when killed midway and run again, a repeat carrying the same message id', async () => {
    const count = 300;
    for (let i = 0; i < count; i++) await deadLetter(`m-${i}`, 'handler-failed');
    const first = runDlq(vhost.url, ['redrive']);
    await waitFor(() => (first.stdout().match(/^moved m-/gm)?.length ?? 0) >= 40, {
      timeoutMs: 60_000,
      message: '40 messages moved by the first run',
    });
    first.child.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    const movedByFirst = first.stdout().match(/^moved m-/gm)?.length ?? 0;
    expect(movedByFirst).toBeLessThan(count);

    const second = runDlq(vhost.url, ['redrive']);
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

import { Controller, INestMicroservice } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { ContractViolation, MessageHeaders } from '@hello/contracts';
import { AmqpTestClient, createTestVhost, TestVhost, textOf, waitFor } from '@hello/testing';
import { AmqpContext } from './amqp-context';
import { AmqpPattern } from './amqp-pattern.decorator';
import { AmqpServer } from './amqp-server';
import { SettledDelivery } from './settled-delivery';

// Real RabbitMQ, one vhost per spec. Handlers below are test-only and fail on purpose.

interface Seen {
  pattern: string;
  payload: unknown;
  messageId: string;
  attempt: number;
  at: number;
}

@Controller()
class TestHandlers {
  readonly seen: Seen[] = [];
  private readonly failures = new Map<string, number>();

  private record(pattern: string, payload: unknown, context: AmqpContext): void {
    this.seen.push({
      pattern,
      payload,
      messageId: context.messageId,
      attempt: context.attempt,
      at: Date.now(),
    });
  }

  @AmqpPattern('test.ok.v1')
  ok(@Payload() payload: unknown, @Ctx() context: AmqpContext): void {
    this.record('test.ok.v1', payload, context);
  }

  @AmqpPattern('test.text.v1', { decode: (body) => ({ text: String(body) }) })
  text(@Payload() payload: unknown, @Ctx() context: AmqpContext): void {
    this.record('test.text.v1', payload, context);
  }

  /** Fails the first `failTimes` tries of each message, then succeeds. */
  @AmqpPattern('test.flaky.v1')
  async flaky(@Payload() payload: { failTimes: number }, @Ctx() context: AmqpContext): Promise<void> {
    const failed = this.failures.get(context.messageId) ?? 0;
    if (failed < payload.failTimes) {
      this.failures.set(context.messageId, failed + 1);
      throw new Error(`flaky failure ${failed + 1}`);
    }
    this.record('test.flaky.v1', payload, context);
  }

  @AmqpPattern('test.broken.v1')
  broken(@Payload() _payload: unknown, @Ctx() context: AmqpContext): void {
    throw new Error(`broken on try ${context.attempt}`);
  }

  @AmqpPattern('test.checked.v1', {
    decode: (body) => {
      const name = (body as { name?: unknown } | null)?.name;
      if (typeof name !== 'string') throw new ContractViolation('invalid-message', '"name" must be a string', 'name');
      return { name };
    },
  })
  checked(@Payload() payload: unknown, @Ctx() context: AmqpContext): void {
    this.record('test.checked.v1', payload, context);
  }

  @AmqpPattern('test.two-handlers.v1')
  first(@Payload() payload: unknown, @Ctx() context: AmqpContext): void {
    this.record('test.two-handlers.v1', payload, context);
  }

  /** A plain @EventPattern (without the error filter) that throws a ContractViolation. */
  @EventPattern<string>('test.plain-violation.v1')
  plainViolation(): void {
    throw new ContractViolation('invalid-message', 'rejected by a plain EventPattern handler');
  }
}

/** A second controller with a handler for a type TestHandlers handles too. */
@Controller()
class MoreTestHandlers {
  readonly seen: string[] = [];

  @AmqpPattern('test.two-handlers.v1')
  second(@Ctx() context: AmqpContext): void {
    this.seen.push(context.messageId);
  }
}

describe('AmqpServer', () => {
  let vhost: TestVhost;
  let client: AmqpTestClient;
  let app: INestMicroservice;
  let handlers: TestHandlers;
  let moreHandlers: MoreTestHandlers;
  let server: AmqpServer;
  const settled: SettledDelivery[] = [];
  const queue = 'work';

  const json = (type: string, body: unknown, messageId: string) =>
    client.publish(queue, JSON.stringify(body), {
      type,
      messageId,
      contentType: 'application/json',
      persistent: true,
    });
  const settledOf = (messageId: string) => settled.filter((s) => s.messageId === messageId);

  beforeAll(async () => {
    vhost = await createTestVhost('amqp-server');
    server = new AmqpServer({
      url: vhost.url,
      queue,
      prefetch: 10,
      retry: { delaysMs: [200, 400] },
      defaultPattern: 'test.text.v1',
      drainTimeoutMs: 5_000,
    });
    server.on('settled', (delivery) => settled.push(delivery));
    const moduleRef = await Test.createTestingModule({
      controllers: [TestHandlers, MoreTestHandlers],
    }).compile();
    app = moduleRef.createNestMicroservice({ strategy: server, logger: false });
    await app.listen();
    handlers = app.get(TestHandlers);
    moreHandlers = app.get(MoreTestHandlers);
    client = await AmqpTestClient.connect(vhost.url);
  });

  afterAll(async () => {
    await client?.close();
    await app?.close();
    await vhost?.delete();
  });

  it('should declare the work queue as a durable quorum queue dead-lettering to its dead-letter queue', () => {
    const work = server.topology.queues.find((q) => q.name === queue);
    expect(work?.arguments).toMatchObject({
      'x-queue-type': 'quorum',
      'x-quorum-initial-group-size': 3,
      'x-dead-letter-exchange': '',
      'x-dead-letter-routing-key': 'work.dead',
      'x-delivery-limit': 10,
    });
    // Every queue of the consumer is replicated over up to three nodes of a cluster.
    for (const declared of server.topology.queues)
      expect(declared.arguments).toMatchObject({
        'x-queue-type': 'quorum',
        'x-quorum-initial-group-size': 3,
      });
    expect(server.topology.queues.map((q) => q.name)).toEqual(['work.dead', 'work', 'work.retry.1', 'work.retry.2']);
  });

  it('should dispatch a JSON message to the handler of its type and ack it', async () => {
    await json('test.ok.v1', { n: 1 }, 'ok-1');
    await waitFor(() => settledOf('ok-1').length === 1, {
      message: 'ok-1 settled',
    });
    expect(handlers.seen.filter((s) => s.messageId === 'ok-1')).toEqual([
      expect.objectContaining({
        pattern: 'test.ok.v1',
        payload: { n: 1 },
        attempt: 1,
      }),
    ]);
    expect(settledOf('ok-1')[0]).toMatchObject({
      outcome: 'handled',
      action: 'ack',
      acked: true,
    });
  });

  it('should call each handler of a type once per message', async () => {
    await json('test.two-handlers.v1', { n: 1 }, 'two-1');
    await waitFor(() => settledOf('two-1').length === 1, {
      message: 'two-1 settled',
    });
    expect(handlers.seen.filter((s) => s.messageId === 'two-1')).toHaveLength(1);
    expect(moreHandlers.seen).toEqual(['two-1']);
    expect(settledOf('two-1')[0]).toMatchObject({ outcome: 'handled' });
  });

  it('should hand a plain-text message without type or content type to the default pattern', async () => {
    await client.publish(queue, 'Hello World!');
    await waitFor(() => handlers.seen.some((s) => s.pattern === 'test.text.v1'), { message: 'plain text handled' });
    expect(handlers.seen.find((s) => s.pattern === 'test.text.v1')?.payload).toEqual({ text: 'Hello World!' });
  });

  it('should handle a message published twice with the same messageId once', async () => {
    await json('test.ok.v1', { n: 2 }, 'dup-1');
    await json('test.ok.v1', { n: 2 }, 'dup-1');
    await waitFor(() => settledOf('dup-1').length === 2, {
      message: 'both copies settled',
    });
    expect(handlers.seen.filter((s) => s.messageId === 'dup-1')).toHaveLength(1);
    expect(
      settledOf('dup-1')
        .map((s) => s.outcome)
        .sort(),
    ).toEqual(['duplicate', 'handled']);
  });

  it.each([
    [
      'malformed JSON',
      'malformed-json',
      () =>
        client.publish(queue, '{"n": ', {
          type: 'test.ok.v1',
          messageId: 'bad-json',
          contentType: 'application/json',
        }),
      'bad-json',
    ],
    ['an unknown type', 'unknown-type', () => json('test.nobody.v1', {}, 'bad-type'), 'bad-type'],
    [
      'a payload its decoder rejects',
      'invalid-message',
      () => json('test.checked.v1', { name: 42 }, 'bad-payload'),
      'bad-payload',
    ],
    [
      'an unsupported content type',
      'unsupported-content-type',
      () =>
        client.publish(queue, 'x', {
          type: 'test.ok.v1',
          messageId: 'bad-ct',
          contentType: 'application/xml',
        }),
      'bad-ct',
    ],
  ])('should dead-letter %s at once with reason %s, and keep consuming', async (_what, reason, publish, messageId) => {
    await publish();
    await json('test.ok.v1', { after: messageId }, `after-${messageId}`);
    const [dead] = await client.get('work.dead', 1);
    expect(dead.properties.messageId).toBe(messageId);
    expect(dead.properties.headers?.[MessageHeaders.deathReason]).toBe(reason);
    expect(String(dead.properties.headers?.[MessageHeaders.deathDetail])).not.toBe('');
    expect(dead.properties.headers?.[MessageHeaders.attempts]).toBe(1);
    await waitFor(() => handlers.seen.some((s) => s.messageId === `after-${messageId}`), {
      message: 'next message handled',
    });
  });

  it('should retry a failing handler with backoff and handle the message once it succeeds', async () => {
    const publishedAt = Date.now();
    await json('test.flaky.v1', { failTimes: 2 }, 'flaky-1');
    await waitFor(() => handlers.seen.some((s) => s.messageId === 'flaky-1'), {
      message: 'flaky-1 handled',
      timeoutMs: 5_000,
    });
    const handled = handlers.seen.filter((s) => s.messageId === 'flaky-1');
    expect(handled).toHaveLength(1);
    expect(handled[0].attempt).toBe(3);
    // Two delays (200 ms, then 400 ms) passed before the third try.
    expect(handled[0].at - publishedAt).toBeGreaterThanOrEqual(600);
    expect(settledOf('flaky-1').map((s) => s.action)).toEqual(['retry', 'retry', 'ack']);
  });

  it('should dead-letter a message whose handler always fails after the last attempt, with the last error', async () => {
    await json('test.broken.v1', {}, 'broken-1');
    const [dead] = await client.get('work.dead', 1, 5_000);
    expect(dead.properties.messageId).toBe('broken-1');
    expect(dead.properties.type).toBe('test.broken.v1');
    expect(dead.properties.headers).toMatchObject({
      [MessageHeaders.deathReason]: 'handler-failed',
      [MessageHeaders.deathDetail]: 'Error: broken on try 3',
      [MessageHeaders.attempts]: 3,
    });
    expect(JSON.parse(textOf(dead))).toEqual({});
    expect(settledOf('broken-1').map((s) => s.action)).toEqual(['retry', 'retry', 'dead-letter']);
  });

  it('should treat errors of a plain @EventPattern handler as handler failures (retried), not contract violations', async () => {
    // Nest's default filter replaces the error; @AmqpPattern keeps it. Documented in the README.
    await json('test.plain-violation.v1', {}, 'plain-1');
    const [dead] = await client.get('work.dead', 1, 5_000);
    expect(dead.properties.headers?.[MessageHeaders.deathReason]).toBe('handler-failed');
    expect(dead.properties.headers?.[MessageHeaders.attempts]).toBe(3);
  });

  it('should give every message without a messageId an id that its retry copies keep', async () => {
    await client.publish(queue, JSON.stringify({ failTimes: 1 }), {
      type: 'test.flaky.v1',
      contentType: 'application/json',
    });
    const anonymous = () => settled.filter((s) => s.pattern === 'test.flaky.v1' && !s.messageId.startsWith('flaky-'));
    await waitFor(() => anonymous().some((s) => s.outcome === 'handled'), {
      message: 'retried copy handled',
    });
    const tries = anonymous();
    expect(tries.map((s) => s.attempt)).toEqual([1, 2]);
    expect(tries[0].messageId).toBe(tries[1].messageId);
  });
});

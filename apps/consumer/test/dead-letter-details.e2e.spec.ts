import { INestApplication, LoggerService, LogLevel } from '@nestjs/common';
import type { ConsumeMessage, Message } from 'amqplib';
import { MessageHeaders, HELLO_MESSAGE_TYPE, Topology } from '@hello/contracts';
import {
  AmqpTestClient,
  createTestVhost,
  freePort,
  getMessages,
  managementApi,
  managementRequest,
  TestVhost,
  waitFor,
  testPlatformConfig,
} from '@hello/testing';
import { ConsumerConfig } from '../src/config/consumer.config';
import { createConsumerApp, startConsumerApp } from '../src/consumer.app';

// The consumer app in this process against the test broker, in a vhost of its own.

class CapturingLogger implements LoggerService {
  readonly entries: { level: LogLevel; message: string }[] = [];
  log = (message: unknown) => this.keep('log', message);
  error = (message: unknown) => this.keep('error', message);
  warn = (message: unknown) => this.keep('warn', message);
  debug = (message: unknown) => this.keep('debug', message);
  verbose = (message: unknown) => this.keep('verbose', message);
  fatal = (message: unknown) => this.keep('fatal', message);
  private keep(level: LogLevel, message: unknown): void {
    this.entries.push({ level, message: String(message) });
  }
  lines(...levels: LogLevel[]): string[] {
    return this.entries.filter((entry) => levels.includes(entry.level)).map((entry) => entry.message);
  }
}

async function startConsumer(rabbitmqUrl: string, logger: LoggerService): Promise<INestApplication> {
  const port = await freePort();
  const config: ConsumerConfig = {
    platform: testPlatformConfig(),
    httpPort: port,
    rabbitmqUrl,
    prefetch: 10,
    retry: { delaysMs: [200] },
    deduplicationCapacity: 1000,
    drainTimeoutMs: 5_000,
  };
  return (await startConsumerApp(await createConsumerApp(config, { logger }), config)).app;
}

const headersOf = (message: Message) => message.properties.headers as Record<string, unknown>;

describe('dead letters say what happened (effect publish refused with 403)', () => {
  const USER = { name: `no-effects-${process.pid}`, password: 'no-effects' };
  const logger = new CapturingLogger();
  let vhost: TestVhost;
  let client: AmqpTestClient;
  let app: INestApplication | undefined;
  let dead: ConsumeMessage[];

  beforeAll(async () => {
    vhost = await createTestVhost('refused');
    const api = managementApi();
    await managementRequest(api, 'PUT', `users/${USER.name}`, {
      password: USER.password,
      tags: '',
    });
    // May declare anything, bind the event log to hello.events (a binding needs write on its queue)
    // and publish through the default exchange (retry and dead-letter copies), but not to
    // hello.events, where the effects go.
    await managementRequest(api, 'PUT', `permissions/${encodeURIComponent(vhost.vhost)}/${USER.name}`, {
      configure: '.*',
      write: '^(amq\\.default|hello\\.events\\.log)$',
      read: '.*',
    });
    const url = new URL(vhost.url);
    url.username = USER.name;
    url.password = USER.password;
    app = await startConsumer(url.toString(), logger);
    client = await AmqpTestClient.connect(vhost.url);
    dead = await client.collect(Topology.helloDeadLetterQueue);
  }, 30_000);

  afterAll(async () => {
    await app?.close();
    await client?.close();
    await vhost?.delete();
    await managementRequest(managementApi(), 'DELETE', `users/${USER.name}`).catch(() => undefined);
  }, 30_000);

  it('should dead-letter each message with an access-refused detail (through a retry queue deleted first), logging a few lines rather than a storm', async () => {
    const count = 20;
    // Every message goes through the first retry queue on its way: it must come back by itself too.
    await client.channel.deleteQueue('hello.retry.1');
    for (let i = 0; i < count; i++) {
      await client.publish(Topology.helloQueue, JSON.stringify({ text: `refused ${i}` }), {
        messageId: `refused-${i}`,
        type: HELLO_MESSAGE_TYPE,
        contentType: 'application/json',
        persistent: true,
      });
    }
    await waitFor(() => dead.length >= count, {
      timeoutMs: 90_000,
      message: `${count} messages on hello.dead`,
    });
    for (const message of dead) {
      expect(headersOf(message)[MessageHeaders.deathReason]).toBe('handler-failed');
      expect(String(headersOf(message)[MessageHeaders.deathDetail])).toMatch(
        /^access-refused: message \S+ to exchange 'hello\.events' was refused by the broker: .*ACCESS_REFUSED - access to exchange 'hello\.events' in vhost '[^']+' refused for user 'no-effects-\d+'/,
      );
    }
    const noisy = logger.lines('warn', 'error').filter((line) => !line.includes('dead-lettered to'));
    // Without the rate limit: about 40 lines per message.
    expect(noisy.length).toBeLessThan(count);
    expect(logger.lines('warn', 'error').join('\n')).not.toContain('not confirmed');
  }, 120_000);
});

describe('topology repairs itself (a queue deleted on a live broker)', () => {
  let vhost: TestVhost;
  let client: AmqpTestClient;
  let app: INestApplication | undefined;

  beforeAll(async () => {
    vhost = await createTestVhost('repair');
    app = await startConsumer(vhost.url, new CapturingLogger());
    client = await AmqpTestClient.connect(vhost.url);
  }, 30_000);

  afterAll(async () => {
    await app?.close();
    await client?.close();
    await vhost?.delete();
  }, 30_000);

  it('should declare hello.dead again and put a bad message there at once, with its reason', async () => {
    await client.channel.deleteQueue(Topology.helloDeadLetterQueue);
    const startedAt = Date.now();
    await client.publish(Topology.helloQueue, '{"text": "unterminated', {
      messageId: 'bad-after-delete',
      type: HELLO_MESSAGE_TYPE,
      contentType: 'application/json',
    });
    // Until the consumer has declared it again, asking for the queue fails (404 closes the channel).
    const [message] = await waitFor(
      () => getMessages(vhost.url, Topology.helloDeadLetterQueue, 1, 500).catch(() => undefined),
      { timeoutMs: 10_000, message: 'the bad message on hello.dead' },
    );
    expect(Date.now() - startedAt).toBeLessThan(5_000);
    expect(message.properties.messageId).toBe('bad-after-delete');
    expect(headersOf(message)[MessageHeaders.deathReason]).toBe('malformed-json');
    const hello = await client.channel.checkQueue(Topology.helloQueue);
    expect(hello.messageCount).toBe(0);
  }, 30_000);
});

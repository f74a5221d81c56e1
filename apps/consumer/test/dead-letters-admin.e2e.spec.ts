import { INestApplication } from '@nestjs/common';
import { MessageHeaders, HELLO_MESSAGE_TYPE, Topology } from '@hello/contracts';
import { AmqpTestClient, createTestVhost, freePort, TestVhost, waitFor, testPlatformConfig } from '@hello/testing';
import { ConsumerConfig } from '../src/config/consumer.config';
import { createConsumerApp, startConsumerApp } from '../src/consumer.app';

const TOKEN = 'admin-token-of-this-test';

async function start(
  vhost: TestVhost,
  adminToken: string | undefined,
): Promise<{ app: INestApplication; baseUrl: string }> {
  const port = await freePort();
  const config: ConsumerConfig = {
    platform: testPlatformConfig(),
    httpPort: port,
    rabbitmqUrl: vhost.url,
    prefetch: 5,
    retry: { delaysMs: [100] },
    deduplicationCapacity: 1000,
    drainTimeoutMs: 2_000,
    adminToken,
  };
  const { app } = await startConsumerApp(await createConsumerApp(config, { logger: false }), config);
  return { app, baseUrl: `http://127.0.0.1:${port}` };
}

describe('consumer /admin/dead-letters (guarded by CONSUMER_ADMIN_TOKEN)', () => {
  let vhost: TestVhost;
  let client: AmqpTestClient;
  let app: INestApplication | undefined;
  let baseUrl: string;
  const auth = { authorization: `Bearer ${TOKEN}` };

  beforeAll(async () => {
    vhost = await createTestVhost('dlq-admin');
    ({ app, baseUrl } = await start(vhost, TOKEN));
    client = await AmqpTestClient.connect(vhost.url);
  }, 30_000);

  afterAll(async () => {
    await app?.close();
    await client?.close();
    await vhost?.delete();
  }, 30_000);

  it('should answer 401 without a token and 403 with a wrong one', async () => {
    const none = await fetch(`${baseUrl}/admin/dead-letters`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer /);
    const wrong = await fetch(`${baseUrl}/admin/dead-letters`, {
      headers: { authorization: 'Bearer not-the-token' },
    });
    expect(wrong.status).toBe(403);
    const redrive = await fetch(`${baseUrl}/admin/dead-letters/redrive`, {
      method: 'POST',
    });
    expect(redrive.status).toBe(401);
  });

  it('should list, show and redrive a dead letter, which the consumer then handles', async () => {
    // A text the contract refuses: dead-lettered at once with its reason.
    await client.publish(Topology.helloQueue, JSON.stringify({ text: '' }), {
      messageId: 'empty-text',
      type: HELLO_MESSAGE_TYPE,
      contentType: 'application/json',
    });
    const list = await waitFor(
      async () => {
        const body = await (await fetch(`${baseUrl}/admin/dead-letters`, { headers: auth })).json();
        return body.messages === 1 ? body : undefined;
      },
      { message: 'one dead letter listed' },
    );
    expect(list).toMatchObject({
      queue: 'hello.dead',
      byReason: { 'invalid-message': 1 },
    });
    const shown = await fetch(`${baseUrl}/admin/dead-letters/messages?reason=invalid-message&limit=5`, {
      headers: auth,
    });
    expect(shown.status).toBe(200);
    expect(await shown.json()).toEqual([
      expect.objectContaining({
        messageId: 'empty-text',
        reason: 'invalid-message',
        sourceQueue: 'hello',
        body: '{"text":""}',
      }),
    ]);
    const bad = await fetch(`${baseUrl}/admin/dead-letters/messages?limit=0`, {
      headers: auth,
    });
    expect(bad.status).toBe(400);

    const dry = await fetch(`${baseUrl}/admin/dead-letters/redrive?dryRun=true`, { method: 'POST', headers: auth });
    expect(await dry.json()).toMatchObject({ moved: 0 });
    const moved = await fetch(`${baseUrl}/admin/dead-letters/redrive`, {
      method: 'POST',
      headers: auth,
    });
    expect(moved.status).toBe(200);
    expect(await moved.json()).toEqual({
      moved: 1,
      matched: [{ messageId: 'empty-text', reason: 'invalid-message', to: 'hello' }],
    });
    // Still invalid: the consumer dead-letters it again, now marked as re-driven once.
    const [again] = await waitFor(
      async () => {
        const [message] = await client.get(Topology.helloDeadLetterQueue, 1, 500).catch(() => []);
        return message ? [message] : undefined;
      },
      { message: 'the re-driven message dead-lettered again' },
    );
    expect(again.properties.headers).toMatchObject({
      'x-hello-redriven': 1,
      [MessageHeaders.deathReason]: 'invalid-message',
      [MessageHeaders.attempts]: 1,
    });
  }, 60_000);

  it('should not exist without CONSUMER_ADMIN_TOKEN', async () => {
    const other = await createTestVhost('dlq-admin-off');
    const off = await start(other, undefined);
    try {
      const response = await fetch(`${off.baseUrl}/admin/dead-letters`, {
        headers: auth,
      });
      expect(response.status).toBe(404);
    } finally {
      await off.app.close();
      await other.delete();
    }
  }, 30_000);
});

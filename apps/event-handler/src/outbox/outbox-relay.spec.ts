import { Metrics as PlatformMetrics } from '@hello/platform';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../config/event-handler.config';
import { Metrics } from '../health/metrics';
import type { MessagePublisher, OutgoingMessage } from '../messaging/message-publisher';
import { type OutboxMessage, ProjectionStore } from '../projections/projection-store';
import { OutboxRelay } from './outbox-relay';

/** Records what it is asked to publish; fails while `failuresLeft` > 0. */
class ScriptedPublisher implements MessagePublisher {
  readonly published: OutgoingMessage[] = [];
  failuresLeft = 0;
  calls = 0;
  private release: (() => void) | undefined;
  private gate: Promise<void> | undefined;

  hold(): void {
    this.gate = new Promise((resolve) => (this.release = resolve));
  }

  open(): void {
    this.release?.();
    this.gate = undefined;
  }

  async publish(message: OutgoingMessage): Promise<void> {
    this.calls += 1;
    if (this.gate) await this.gate;
    if (this.failuresLeft > 0) {
      this.failuresLeft -= 1;
      throw new Error('broker unreachable');
    }
    this.published.push(message);
  }
}

const welcome = (id: string): OutboxMessage => ({
  messageId: id,
  exchange: '',
  routingKey: 'hello',
  type: 'hello.message.v1',
  body: { text: `Welcome, ${id}!` },
  causeEventId: `cause-${id}`,
});

async function until(condition: () => boolean, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('OutboxRelay', () => {
  let dataDir: string;
  let store: ProjectionStore;
  let publisher: ScriptedPublisher;
  let relay: OutboxRelay;
  const config = loadConfig({ EVENT_HANDLER_OUTBOX_RETRY_MS: '20', EVENT_HANDLER_SHUTDOWN_GRACE_MS: '500' });

  const queue = (...messages: OutboxMessage[]) =>
    messages.forEach((m) => store.applyOnce(m.causeEventId, 'greeting.greeted.v1', (tx) => tx.addOutboxMessage(m)));

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'event-handler-outbox-'));
    store = ProjectionStore.open(dataDir);
    publisher = new ScriptedPublisher();
    relay = new OutboxRelay(store, publisher, config, new Metrics(new PlatformMetrics()));
  });

  afterEach(async () => {
    await relay.beforeApplicationShutdown();
    store.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('should publish a pending message with its id and mark it sent', async () => {
    queue(welcome('a'));
    expect(await relay.send('a')).toBe(true);
    expect(publisher.published).toEqual([
      {
        exchange: '',
        routingKey: 'hello',
        body: { text: 'Welcome, a!' },
        messageId: 'a',
        type: 'hello.message.v1',
        correlationId: 'cause-a',
        mandatory: true,
      },
    ]);
    expect(store.pendingOutboxMessages()).toEqual([]);
    // Sent already: a second send publishes nothing.
    expect(await relay.send('a')).toBe(true);
    expect(publisher.calls).toBe(1);
  });

  it('should share one publish between concurrent sends of the same message', async () => {
    queue(welcome('a'));
    publisher.hold();
    const sends = [relay.send('a'), relay.send('a'), relay.send('a')];
    publisher.open();
    expect(await Promise.all(sends)).toEqual([true, true, true]);
    expect(publisher.calls).toBe(1);
  });

  it('should keep a failed message pending and retry it until the broker confirms', async () => {
    queue(welcome('a'));
    publisher.failuresLeft = 2;
    expect(await relay.send('a')).toBe(false);
    expect(store.pendingOutboxMessage('a')).toMatchObject({ attempts: 1 });
    await until(() => publisher.published.length === 1);
    expect(publisher.calls).toBe(3);
    expect(store.pendingOutboxMessages()).toEqual([]);
  });

  it('should send what was left pending by a previous process at start-up, in order', async () => {
    queue(welcome('a'), welcome('b'));
    relay.onApplicationBootstrap();
    await until(() => publisher.published.length === 2);
    expect(publisher.published.map((m) => m.messageId)).toEqual(['a', 'b']);
  });

  it('should stop sending once shutdown began, leaving messages pending', async () => {
    queue(welcome('a'));
    await relay.beforeApplicationShutdown();
    expect(await relay.send('a')).toBe(false);
    expect(publisher.calls).toBe(0);
    expect(store.pendingOutboxCount()).toBe(1);
  });
});

import {
  GreetingGreetedIntegrationEvent,
  MessageHeaders,
  MessageHandledIntegrationEvent,
  Topology,
} from '@hello/contracts';
import { jsonOf, waitFor } from '@hello/testing';
import { Injectable } from '@nestjs/common';
import type { GreetingCountedEvent } from '../src/count-greeting/greeting-counted.event';
import { LogGreetingWhenCountedHandler } from '../src/count-greeting/log-greeting-when-counted.handler';
import type { ProjectionTransaction, Stats } from '../src/projections/projection-store';
import { RecordMessageWhenHandled } from '../src/record-message/record-message-when-handled.projector';
import { EventHandlerHarness } from './support/event-handler-harness';

// Failures provoked on purpose by test-only providers that replace real ones: a projector that
// throws inside the inbox transaction (after writing), and a reaction on the EventBus that throws.

/** Writes, then throws on the first tries of messages whose text says so. */
@Injectable()
class UnreliableRecordMessage extends RecordMessageWhenHandled {
  private readonly tries = new Map<string, number>();

  override async project(tx: ProjectionTransaction, event: MessageHandledIntegrationEvent) {
    const result = await super.project(tx, event);
    const tries = (this.tries.get(event.eventId) ?? 0) + 1;
    this.tries.set(event.eventId, tries);
    const failTimes =
      event.text === 'always fails' ? Infinity : Number(/^fails (\d+) times$/.exec(event.text)?.[1] ?? 0);
    if (tries <= failTimes) throw new Error(`projection failed on try ${tries}`);
    return result;
  }
}

@Injectable()
class ThrowingReaction extends LogGreetingWhenCountedHandler {
  override handle(event: GreetingCountedEvent): void {
    throw new Error(`reaction to ${event.name} broke`);
  }
}

describe('event-handler when applying an event fails', () => {
  let harness: EventHandlerHarness;

  beforeAll(async () => {
    harness = await EventHandlerHarness.create({
      EVENT_HANDLER_RETRY_DELAYS_MS: '50,100',
    });
    await harness.start((builder) =>
      builder
        .overrideProvider(RecordMessageWhenHandled)
        .useClass(UnreliableRecordMessage)
        .overrideProvider(LogGreetingWhenCountedHandler)
        .useClass(ThrowingReaction),
    );
  });

  afterAll(async () => {
    await harness?.dispose();
  });

  const handled = (text: string) => MessageHandledIntegrationEvent.create({ messageId: `m-${text}`, text });
  const stats = async () => (await harness.get<Stats>('/stats')).body;

  it('should retry with backoff and apply the event once, without the writes of the failed tries', async () => {
    const event = handled('fails 2 times');
    await harness.publishEvent(MessageHandledIntegrationEvent.type, event.toJSON());
    const settlements = await harness.settlementsOf(event.eventId, 3);
    expect(settlements.map((s) => [s.attempt, s.outcome, s.action])).toEqual([
      [1, 'failed', 'retry'],
      [2, 'failed', 'retry'],
      [3, 'handled', 'ack'],
    ]);
    // The two failed transactions rolled back: one count, one recent message.
    const { messages } = await stats();
    expect(messages.handled).toBe(1);
    expect(messages.last.filter((m) => m.messageId === event.messageId)).toHaveLength(1);
  });

  it('should dead-letter an event that keeps failing, with the last error, and go on with the next', async () => {
    const doomed = handled('always fails');
    await harness.publishEvent(MessageHandledIntegrationEvent.type, doomed.toJSON());
    const next = handled('fine');
    await harness.publishEvent(MessageHandledIntegrationEvent.type, next.toJSON());

    const settlements = await harness.settlementsOf(doomed.eventId, 3);
    expect(settlements.map((s) => s.action)).toEqual(['retry', 'retry', 'dead-letter']);
    expect(settlements[2].reason).toBe('handler-failed');
    const [dead] = await harness.amqp.get(Topology.eventHandlerDeadLetterQueue, 1);
    expect(dead.properties.messageId).toBe(doomed.eventId);
    expect(dead.properties.headers).toMatchObject({
      [MessageHeaders.deathReason]: 'handler-failed',
      [MessageHeaders.deathDetail]: 'Error: projection failed on try 3',
      [MessageHeaders.attempts]: 3,
    });
    expect(jsonOf(dead)).toEqual(doomed.toJSON());

    await harness.settlementsOf(next.eventId);
    const { messages } = await stats();
    expect(messages.last.map((m) => m.messageId)).toContain(next.messageId);
    expect(messages.last.map((m) => m.messageId)).not.toContain(doomed.messageId);
  });

  it('should keep a committed projection when a reaction after the commit throws, and keep going', async () => {
    const first = GreetingGreetedIntegrationEvent.create({ name: 'ada', message: 'Hello, ada!' });
    const second = GreetingGreetedIntegrationEvent.create({ name: 'ada', message: 'Hello, ada!' });
    await harness.publishEvent(GreetingGreetedIntegrationEvent.type, first.toJSON());
    await harness.publishEvent(GreetingGreetedIntegrationEvent.type, second.toJSON());
    const settlements = [
      ...(await harness.settlementsOf(first.eventId)),
      ...(await harness.settlementsOf(second.eventId)),
    ];
    // The reaction is not part of applying the event: its failure is logged, not retried.
    expect(settlements.map((s) => [s.outcome, s.action])).toEqual([
      ['handled', 'ack'],
      ['handled', 'ack'],
    ]);
    expect(await harness.greetingCount('ada')).toBe(2);
    // The saga, another subscriber of the same event, still ran.
    const welcome = await waitFor(
      async () =>
        (await harness.amqp.drain(Topology.helloQueue, 200)).find((m) => m.content.toString().includes('ada')),
      { message: 'the welcome of ada' },
    );
    expect(jsonOf(welcome)).toEqual({ text: 'Welcome, ada!' });
    expect((await harness.get('/health/ready')).status).toBe(200);
  });
});

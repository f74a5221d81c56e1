import { deriveId, GreetingGreetedIntegrationEvent, LineReceivedIntegrationEvent, Topology } from '@hello/contracts';
import { jsonOf, waitFor } from '@hello/testing';
import { CountGreetingWhenGreeted } from '../src/count-greeting/count-greeting-when-greeted.projector';
import { ProjectionStore, type Stats } from '../src/projections/projection-store';
import { EventHandlerHarness } from './support/event-handler-harness';
import { DIALECTS } from './support/test-databases';

// Half of these tests create a PostgreSQL database first: on a loaded machine that alone can take
// a few seconds, more than Jest's default timeout.
jest.setTimeout(30_000);

describe.each(DIALECTS)('event-handler across restarts, on %s', (dialect) => {
  let harness: EventHandlerHarness;

  beforeAll(async () => {
    harness = await EventHandlerHarness.create({}, dialect);
  });

  afterAll(async () => {
    await harness?.dispose();
  });

  const greeted = (name: string) => GreetingGreetedIntegrationEvent.create({ name, message: `Hello, ${name}!` });

  it('should keep every projection, and the inbox, when the app is closed and created again', async () => {
    await harness.start();
    const first = greeted('ada');
    const second = greeted('ada');
    await harness.publishEvent(GreetingGreetedIntegrationEvent.type, first.toJSON());
    await harness.publishEvent(GreetingGreetedIntegrationEvent.type, second.toJSON());
    const line = LineReceivedIntegrationEvent.create({ line: 'kept', remoteAddress: '127.0.0.1:4000' });
    await harness.publishEvent(LineReceivedIntegrationEvent.type, line.toJSON());
    await waitFor(async () => (await harness.get<Stats>('/stats')).body.eventsApplied === 3, {
      message: 'three events applied',
    });
    // The welcome of ada was confirmed before the restart.
    await waitFor(async () => (await harness.get<Stats>('/stats')).body.outbox.sent === 1, { message: 'welcome sent' });
    const before = (await harness.get<Stats>('/stats')).body;

    await harness.stop();
    harness.settled.length = 0;
    await harness.start();

    expect((await harness.get<Stats>('/stats')).body).toEqual(before);
    expect(before).toMatchObject({ greetings: { total: 2, names: 1 }, lines: { received: 1 } });

    // A redelivery of an event applied before the restart: the new process has no memory of
    // it, the inbox in the database does.
    await harness.publishEvent(GreetingGreetedIntegrationEvent.type, first.toJSON());
    const [settlement] = await harness.settlementsOf(first.eventId);
    expect(settlement).toMatchObject({ outcome: 'handled', action: 'ack' });
    expect(await harness.greetingCount('ada')).toBe(2);
    // One welcome in all, the one sent before the restart: for whichever greeting of ada was applied
    // first (events are handled concurrently, so on PostgreSQL that need not be the first published).
    const welcomes = await harness.amqp.drain(Topology.helloQueue, 300);
    expect(welcomes).toHaveLength(1);
    expect([deriveId('welcome', first.eventId), deriveId('welcome', second.eventId)]).toContain(
      welcomes[0].properties.messageId,
    );
    await harness.stop();
  });

  it('should send at start-up a welcome committed by a process that died before sending it', async () => {
    // What a process that crashed right after the inbox commit leaves behind: the greeting
    // counted and its welcome in the outbox, unsent.
    const orphan = greeted('hopper');
    const store = await ProjectionStore.open(harness.config);
    await store.applyOnce(orphan.eventId, GreetingGreetedIntegrationEvent.type, (tx) =>
      new CountGreetingWhenGreeted().project(tx, orphan),
    );
    expect(await store.outbox.pendingCount()).toBe(1);
    await store.close();

    await harness.start();
    const [welcome] = await harness.amqp.get(Topology.helloQueue, 1);
    expect(welcome.properties.messageId).toBe(deriveId('welcome', orphan.eventId));
    expect(jsonOf(welcome)).toEqual({ text: 'Welcome, hopper!' });
    await waitFor(async () => (await harness.get<Stats>('/stats')).body.outbox.pending === 0, {
      message: 'the outbox emptied',
    });
    await harness.stop();
  });
});

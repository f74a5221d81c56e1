import { GreetingGreetedIntegrationEvent, LineReceivedIntegrationEvent, Topology } from '@hello/contracts';
import { declareTopology, eventLogTopology } from '@hello/messaging';
import { waitFor } from '@hello/testing';
import type { GreetingsByHour } from '../src/greetings-by-hour/get-greetings-by-hour.query';
import { EventHandlerDatabase } from '../src/database/event-handler-database';
import { LogProjectionStore } from '../src/log-projections/log-projection-store';
import type { ProjectionStatus } from '../src/log-projections/log-projection-runner';
import type { Stats } from '../src/projections/projection-store';
import { EventHandlerHarness } from './support/event-handler-harness';
import { DIALECTS } from './support/test-databases';

// The by-hour projection is fed from the event log: deployed onto a system with history it fills
// itself from the log, and goes on live with exact counts, across restarts, without any welcome.

jest.setTimeout(60_000);

const DAY = '2026-01-01';
const RANGE = `/greetings/by-hour?from=${DAY}T00:00:00Z&to=${DAY}T23:00:00Z`;

describe.each(DIALECTS)('greetings per UTC hour, from the event log, on %s', (dialect) => {
  let harness: EventHandlerHarness;
  /** Greetings published so far, per hour of the day. */
  const expected = new Map<number, number>();
  let published = 0;

  beforeAll(async () => {
    harness = await EventHandlerHarness.create({}, dialect);
    // A system with history: the log exists (the other apps declared it) and holds events from
    // before this event-handler (and its queue) ever ran.
    await declareTopology(harness.amqp.channel, eventLogTopology());
  });

  afterAll(async () => {
    await harness?.dispose();
  });

  /** Publishes `count` greetings of new names, spread over hours 9 to 12 of DAY. */
  async function greet(count: number): Promise<void> {
    for (let i = 0; i < count; i++) {
      const hour = 9 + ((published + i) % 4);
      const event = GreetingGreetedIntegrationEvent.create({
        name: `name-${dialect}-${published + i}`,
        message: 'Hello!',
        greetedAt: `${DAY}T${String(hour).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}:07.000Z`,
      });
      await harness.publishEvent(GreetingGreetedIntegrationEvent.type, event.toJSON());
      expected.set(hour, (expected.get(hour) ?? 0) + 1);
    }
    published += count;
  }

  function expectedHours(): { hour: string; count: number }[] {
    return Array.from({ length: 23 }, (_, h) => ({
      hour: `${DAY}T${String(h).padStart(2, '0')}:00:00.000Z`,
      count: expected.get(h) ?? 0,
    }));
  }

  async function byHour(): Promise<GreetingsByHour> {
    const { status, body } = await harness.get<GreetingsByHour>(RANGE);
    expect(status).toBe(200);
    return body;
  }

  async function projection(): Promise<ProjectionStatus> {
    const { body } = await harness.get<{ projections: ProjectionStatus[] }>('/projections');
    return body.projections.find((p) => p.name === 'greetings_by_hour') as ProjectionStatus;
  }

  const untilLive = () =>
    waitFor(async () => (await projection()).state === 'live', { timeoutMs: 30_000, message: 'never live' });

  it('should fill itself from the log on its first start, report backfilling meanwhile, then be live with exact counts', async () => {
    await greet(300);
    // Not events: skipped and counted, the backfill goes on.
    await harness.publishEvent(GreetingGreetedIntegrationEvent.type, '{"name":', {}, 'greeting.greeted');
    await harness.publishEvent('greeting.greeted.v9', { eventId: 'x' }, {}, 'greeting.greeted');
    const line = LineReceivedIntegrationEvent.create({ line: 'old', remoteAddress: '127.0.0.1:1' });
    await harness.publishEvent(LineReceivedIntegrationEvent.type, line.toJSON());

    // The first batch waits until the spec has looked at the event-handler while it backfills.
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    await harness.start((builder) =>
      builder.overrideProvider(LogProjectionStore).useFactory({
        factory: (database: EventHandlerDatabase) => {
          const store = new LogProjectionStore(database);
          const applyBatch = store.applyBatch.bind(store);
          store.applyBatch = async (...args) => {
            await gate;
            return applyBatch(...args);
          };
          return store;
        },
        inject: [EventHandlerDatabase],
      }),
    );
    try {
      expect((await projection()).state).toBe('backfilling');
      const ready = await harness.get<{ info: Record<string, unknown> }>('/health/ready');
      expect(ready.status).toBe(200);
      expect(ready.body.info['projections']).toEqual({ status: 'up', greetings_by_hour: 'backfilling' });
      const during = await harness.get<{ error: string }>(RANGE);
      expect({ status: during.status, error: during.body.error }).toEqual({
        status: 503,
        error: 'projection-not-live',
      });
      // The other queries answer.
      expect((await harness.get('/stats')).status).toBe(200);
    } finally {
      release();
    }

    await untilLive();
    expect((await byHour()).hours).toEqual(expectedHours());
    expect(await projection()).toMatchObject({ state: 'live', lastOffset: 302, eventsSkipped: 2, lag: 0 });
    // The replay touched the by-hour projection only: no greeting counted through the queue (it
    // did not exist yet), and no welcome queued or sent for the 300 new names.
    const stats = (await harness.get<Stats>('/stats')).body;
    expect({ greetings: stats.greetings.total, outbox: stats.outbox }).toEqual({
      greetings: 0,
      outbox: { pending: 0, sent: 0 },
    });
    expect(await harness.amqp.drain(Topology.helloQueue, 300)).toEqual([]);
  });

  it('should go on live, and count each event once across a restart with events published throughout', async () => {
    await greet(50);
    await waitFor(async () => (await byHour()).total === published, { timeoutMs: 15_000, message: 'live greetings' });
    await harness.stop();
    await greet(100);
    const publishing = greet(100);
    await harness.start();
    await publishing;
    await untilLive();
    await waitFor(async () => (await byHour()).total === published, {
      timeoutMs: 20_000,
      message: `the by-hour total never reached ${published}`,
    });
    expect((await byHour()).hours).toEqual(expectedHours());
    // The queue-fed projection counts the greetings published while its queue existed, in its own time.
    await waitFor(async () => (await harness.get<Stats>('/stats')).body.greetings.total === 250, {
      timeoutMs: 20_000,
      message: 'the queue-fed greetings total never reached 250',
    });
    expect((await byHour()).total).toBe(published);
    // The same for Prometheus.
    const metrics = (await harness.get<string>('/metrics')).body;
    expect(metrics).toMatch(/^event_handler_projection_live\{projection="greetings_by_hour"\} 1$/m);
    expect(metrics).toMatch(/^event_handler_projection_lag_entries\{projection="greetings_by_hour"\} 0$/m);
    expect(metrics).toContain(
      `event_handler_projection_log_offset{projection="greetings_by_hour"} ${(await projection()).lastOffset}`,
    );
  });

  it.each([
    ['from=yesterday', 'from must be an ISO 8601 time with a time zone'],
    ['from=2026-01-01T10:00:00', 'from must be an ISO 8601 time with a time zone'],
    ['to=2026-13-01T00:00:00Z', 'to must be an ISO 8601 time with a time zone'],
    ['from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z', 'must be before to'],
    ['from=2026-01-01T00:00:00Z&to=2026-03-01T00:00:00Z', 'at most 744 hours'],
    ['from=2026-01-01T00:00:00Z&from=2026-01-02T00:00:00Z', 'from must be given once'],
  ])('should answer 400 to ?%s, naming the parameter', async (query, message) => {
    const { status, body } = await harness.get<{ error: string; message: string }>(`/greetings/by-hour?${query}`);
    expect({ status, error: body.error }).toEqual({ status: 400, error: 'invalid-query' });
    expect(body.message).toContain(message);
  });
});

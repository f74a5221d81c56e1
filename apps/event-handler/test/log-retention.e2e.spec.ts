import { GreetingGreetedIntegrationEvent, Topology } from '@hello/contracts';
import { declareTopology, eventLogTopology, publishedAt, readLoggedEvent, StreamReader } from '@hello/messaging';
import { managementApi, managementRequest, waitFor } from '@hello/testing';
import type { GreetingsByHour } from '../src/greetings-by-hour/get-greetings-by-hour.query';
import type { ProjectionStatus } from '../src/log-projections/log-projection-runner';
import type { Stats } from '../src/projections/projection-store';
import type { RebuildReport } from '../src/rebuild/rebuild-report';
import { EventHandlerHarness } from './support/event-handler-harness';
import { DIALECTS } from './support/test-databases';

// A log whose beginning retention has dropped: the projection backfills what is left, says from when
// its history is complete, and is `partial` rather than silently short.

jest.setTimeout(90_000);

const MAX_BYTES = 1_000_000;
const SEGMENT_BYTES = 50_000;
/** A stream of the spec's own, whose retention tells when the broker has applied the event log's. */
const BARRIER = 'retention-spec.barrier';
const RANGE_2026_01_01 = '/greetings/by-hour?from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z';

/** The offset of the first entry `stream` holds. */
async function firstOffset(url: string, stream: string): Promise<number | undefined> {
  let first: number | undefined;
  await new StreamReader({ url, connectionName: 'retention-spec', stream, from: 'first', until: 'tail' }).run(
    (delivery) => {
      first ??= delivery.offset;
    },
  );
  return first;
}

/** The first entry of the event log, and its greetings per greetedAt. */
async function readLog(url: string): Promise<{ first?: { offset: number; at?: string }; held: Map<string, number> }> {
  const held = new Map<string, number>();
  let first: { offset: number; at?: string } | undefined;
  await new StreamReader({
    url,
    connectionName: 'retention-spec',
    stream: Topology.eventLog,
    from: 'first',
    until: 'tail',
  }).run((delivery) => {
    first ??= { offset: delivery.offset, at: publishedAt(delivery.message)?.toISOString() };
    const read = readLoggedEvent(delivery);
    if (read.ok && read.event instanceof GreetingGreetedIntegrationEvent) {
      held.set(read.event.greetedAt, (held.get(read.event.greetedAt) ?? 0) + 1);
    }
  });
  return { first, held };
}

describe.each(DIALECTS)('a log projection over a log that lost its beginning, on %s', (dialect) => {
  let harness: EventHandlerHarness;

  beforeAll(async () => {
    harness = await EventHandlerHarness.create({ HELLO_EVENT_LOG_MAX_BYTES: String(MAX_BYTES) }, dialect);
    // Small segments, so that a megabyte of events makes the broker drop the oldest ones (a policy:
    // the apps do not declare the segment size, and a declaration must agree with theirs).
    await managementRequest(
      managementApi(),
      'PUT',
      `policies/${encodeURIComponent(harness.vhost.vhost)}/small-segments`,
      {
        pattern: '^(hello\\.events\\.log|retention-spec\\.barrier)$',
        definition: { 'stream-max-segment-size-bytes': SEGMENT_BYTES },
        'apply-to': 'queues',
      },
    );
    await declareTopology(harness.amqp.channel, eventLogTopology({ maxAge: '30D', maxLengthBytes: MAX_BYTES }));
    await harness.amqp.channel.assertQueue(BARRIER, {
      durable: true,
      arguments: { 'x-queue-type': 'stream', 'x-max-length-bytes': 1 },
    });
  });

  /**
   * Resolves once the broker has applied every retention evaluation asked for so far. It evaluates
   * retention after each segment roll, asynchronously, in one queue of work per node, in order: a roll
   * of the barrier stream (which keeps at most a byte, so its first segment goes) is evaluated after
   * the event log's, and its result is seen by reading the barrier's first offset.
   */
  async function retentionApplied(): Promise<void> {
    for (let i = 0; i < 2 * (SEGMENT_BYTES / 1_000); i++) {
      await harness.amqp.publish(BARRIER, Buffer.alloc(1_000), { persistent: true });
    }
    await waitFor(async () => ((await firstOffset(harness.vhost.url, BARRIER)) ?? 0) > 0, {
      timeoutMs: 30_000,
      message: 'the barrier stream never dropped its first segment',
    });
  }

  afterAll(async () => {
    await harness?.dispose();
  });

  it('should be partial, naming the time from which its history is complete, with exactly what the log holds', async () => {
    for (let i = 0; i < 2_500; i++) {
      const event = GreetingGreetedIntegrationEvent.create({
        name: `n${i}`,
        message: 'x'.repeat(900),
        greetedAt: `2026-01-01T${String(10 + (i % 5)).padStart(2, '0')}:00:00.000Z`,
      });
      await harness.publishEvent(GreetingGreetedIntegrationEvent.type, event.toJSON(), {
        timestamp: Math.floor(Date.now() / 1000),
      });
    }
    // What the log still holds once the broker has applied its retention, read with the library, as
    // the truth to compare with.
    await retentionApplied();
    const truth = await readLog(harness.vhost.url);
    const { first, held } = truth;
    expect(first?.offset).toBeGreaterThan(0);

    await harness.start();
    await waitFor(
      async () => {
        const { body } = await harness.get<{ projections: ProjectionStatus[] }>('/projections');
        return body.projections.find((p) => p.name === 'greetings_by_hour')?.state === 'partial';
      },
      { timeoutMs: 30_000, message: 'never partial' },
    );
    const { body } = await harness.get<{ projections: ProjectionStatus[] }>('/projections');
    expect(body.projections.find((p) => p.name === 'greetings_by_hour')).toMatchObject({
      state: 'partial',
      historyFrom: first?.at,
    });
    const byHour = (await harness.get<GreetingsByHour>(RANGE_2026_01_01)).body;
    expect(byHour.historyFrom).toBe(first?.at);
    expect(byHour.hours.filter((h) => h.count > 0)).toEqual(
      [...held.entries()].sort().map(([hour, count]) => ({ hour, count })),
    );
    expect(byHour.total).toBe([...held.values()].reduce((sum, n) => sum + n, 0));
    expect(byHour.total).toBeLessThan(2_500);

    // A rebuild from the log's first entry says the same, and marks every rebuilt projection partial.
    const response = await fetch(`http://127.0.0.1:${harness.eventHandler.httpPort}/projections/rebuild`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(response.status).toBe(202);
    const { id } = (await response.json()) as RebuildReport;
    const report = await waitFor(
      async () => {
        const { body: last } = await harness.get<RebuildReport>('/projections/rebuild');
        return last.id === id && last.state !== 'running' && last.state !== 'swapping' ? last : undefined;
      },
      { timeoutMs: 60_000, message: 'the rebuild never finished' },
    );
    expect(report).toMatchObject({ state: 'done', historyFrom: first?.at });
    const after = (await harness.get<{ projections: ProjectionStatus[] }>('/projections')).body.projections;
    expect(after.map((p) => [p.name, p.state, p.historyFrom])).toEqual([
      ['greetings', 'partial', first?.at],
      ['messages', 'partial', first?.at],
      ['lines', 'partial', first?.at],
      ['greetings_by_hour', 'partial', first?.at],
    ]);
    const stats = (await harness.get<Stats>('/stats')).body;
    expect(stats.greetings.total).toBe(byHour.total);
    expect((await harness.get<GreetingsByHour>(RANGE_2026_01_01)).body.total).toBe(byHour.total);
  });
});

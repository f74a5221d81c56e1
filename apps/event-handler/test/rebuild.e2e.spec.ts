import {
  GreetingGreetedIntegrationEvent,
  LineReceivedIntegrationEvent,
  MessageHandledIntegrationEvent,
  Topology,
} from '@hello/contracts';
import { declareTopology, eventLogTopology } from '@hello/messaging';
import { waitFor } from '@hello/testing';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { Client } from 'pg';
import { EventHandlerDatabase, REBUILD_DATABASE_FILE } from '../src/database/event-handler-database';
import type { GreetingsByHour } from '../src/greetings-by-hour/get-greetings-by-hour.query';
import type { ProjectionStatus } from '../src/log-projections/log-projection-runner';
import type { Stats } from '../src/projections/projection-store';
import type { RebuildReport } from '../src/rebuild/rebuild-report';
import { EventHandlerHarness } from './support/event-handler-harness';
import { DIALECTS } from './support/test-databases';

// Rebuilding projections from the event log while the event-handler runs: fresh tables filled by the
// same projectors, swapped in once caught up, exact afterwards, with queries answered throughout and
// no welcome sent again.

jest.setTimeout(180_000);

const DAY = '2026-02-01';
const RANGE = `/greetings/by-hour?from=${DAY}T00:00:00Z&to=${DAY}T23:00:00Z`;
const NAMES = 150;

/** What the published events must come to: a from-scratch replay computed apart from the app. */
class Expected {
  readonly greetings = new Map<string, number>();
  readonly byHour = new Map<string, number>();
  readonly messages: { messageId: string; text: string; handledAt: string }[] = [];
  lines = 0;
  events = 0;

  greetingsTotal(): number {
    let total = 0;
    for (const count of this.greetings.values()) total += count;
    return total;
  }
}

describe.each(DIALECTS)('rebuilding projections from the event log, on %s', (dialect) => {
  let harness: EventHandlerHarness;
  const expected = new Expected();
  let sequence = 0;

  beforeAll(async () => {
    harness = await EventHandlerHarness.create({}, dialect);
    await declareTopology(harness.amqp.channel, eventLogTopology());
    await harness.start();
  });

  afterAll(async () => {
    await harness?.dispose();
  });

  /** Publishes `count` events, greetings (of NAMES names, over hours 8 to 15), handled messages and lines. */
  async function publish(count: number): Promise<void> {
    const pending: Promise<void>[] = [];
    for (let i = 0; i < count; i++) {
      const n = sequence++;
      expected.events++;
      if (n % 5 === 3) {
        const handledAt = new Date(Date.UTC(2026, 1, 1, 0, 0, 0, n)).toISOString();
        const event = MessageHandledIntegrationEvent.create({
          messageId: `m-${dialect}-${n}`,
          text: `t${n}`,
          handledAt,
        });
        expected.messages.push({ messageId: event.messageId, text: event.text, handledAt });
        pending.push(harness.publishEvent(MessageHandledIntegrationEvent.type, event.toJSON()));
      } else if (n % 5 === 4) {
        const event = LineReceivedIntegrationEvent.create({ line: `l${n}`, remoteAddress: '127.0.0.1:1' });
        expected.lines++;
        pending.push(harness.publishEvent(LineReceivedIntegrationEvent.type, event.toJSON()));
      } else {
        const name = `name-${n % NAMES}`;
        const hour = 8 + (n % 8);
        const greetedAt = `${DAY}T${String(hour).padStart(2, '0')}:${String(n % 60).padStart(2, '0')}:00.000Z`;
        const event = GreetingGreetedIntegrationEvent.create({ name, message: 'Hello!', greetedAt });
        expected.greetings.set(name, (expected.greetings.get(name) ?? 0) + 1);
        const hourStart = `${DAY}T${String(hour).padStart(2, '0')}:00:00.000Z`;
        expected.byHour.set(hourStart, (expected.byHour.get(hourStart) ?? 0) + 1);
        pending.push(harness.publishEvent(GreetingGreetedIntegrationEvent.type, event.toJSON()));
      }
      if (pending.length >= 200) await Promise.all(pending.splice(0));
    }
    await Promise.all(pending);
  }

  async function stats(): Promise<Stats> {
    const { status, body } = await harness.get<Stats>('/stats');
    expect(status).toBe(200);
    return body;
  }

  async function rebuild(body: unknown): Promise<{ status: number; body: RebuildReport & { error?: string } }> {
    const response = await fetch(`http://127.0.0.1:${harness.eventHandler.httpPort}/projections/rebuild`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as RebuildReport };
  }

  async function finished(id: string): Promise<RebuildReport> {
    return waitFor(
      async () => {
        const { body } = await harness.get<RebuildReport>('/projections/rebuild');
        return body.id === id && (body.state === 'done' || body.state === 'failed') ? body : undefined;
      },
      { timeoutMs: 120_000, message: `rebuild ${id} never finished` },
    );
  }

  /** Every projection equals the replay computed apart, and the live counts of the log. */
  async function expectExact(): Promise<void> {
    const now = await stats();
    expect(now.eventsApplied).toBe(expected.events);
    expect(now.greetings.total).toBe(expected.greetingsTotal());
    expect(now.greetings.names).toBe(expected.greetings.size);
    for (const name of ['name-0', 'name-1', `name-${NAMES - 3}`]) {
      expect(await harness.greetingCount(name)).toBe(expected.greetings.get(name));
    }
    expect(now.messages.handled).toBe(expected.messages.length);
    const latest = [...expected.messages].sort((a, b) => b.handledAt.localeCompare(a.handledAt)).slice(0, 10);
    expect(now.messages.last).toEqual(latest);
    expect(now.lines.received).toBe(expected.lines);
    const { body } = await harness.get<GreetingsByHour>(RANGE);
    expect(body.hours.filter((h) => h.count > 0)).toEqual(
      [...expected.byHour].sort(([a], [b]) => a.localeCompare(b)).map(([hour, count]) => ({ hour, count })),
    );
    // Each name welcomed once: by the live projector, never by a rebuild.
    expect(now.outbox.pending + now.outbox.sent).toBe(expected.greetings.size);
  }

  const allApplied = () =>
    waitFor(async () => (await stats()).eventsApplied === expected.events, {
      timeoutMs: 60_000,
      message: `the live projections never applied ${expected.events} events`,
    });

  it('should rebuild every projection under live load, swap in one step, and be exact afterwards with no welcome sent again', async () => {
    await publish(5_000);
    await allApplied();
    await waitFor(async () => (await harness.get<GreetingsByHour>(RANGE)).body.total === expected.greetingsTotal(), {
      timeoutMs: 60_000,
      message: 'the by-hour projection never caught up',
    });
    await waitFor(
      async () => {
        const { outbox } = await stats();
        if (outbox.sent !== expected.greetings.size) throw new Error(JSON.stringify(outbox));
        return true;
      },
      { timeoutMs: 30_000, message: 'every welcome sent' },
    );
    const welcomesBefore = (await harness.amqp.drain(Topology.helloQueue, 500)).length;
    expect(welcomesBefore).toBe(expected.greetings.size);

    const started = await rebuild({});
    expect(started.status).toBe(202);
    expect(started.body).toMatchObject({ state: 'running', from: 'first' });
    expect(started.body.projections).toEqual(['greetings', 'messages', 'lines', 'greetings_by_hour']);

    // Queries answer throughout, and never from a half-built table: totals only grow.
    let watching = true;
    const answers = { count: 0, rebuilding: 0 };
    const watch = (async () => {
      let lastTotal = 0;
      let lastByHour = 0;
      while (watching) {
        const now = await stats();
        expect(now.greetings.total).toBeGreaterThanOrEqual(lastTotal);
        lastTotal = now.greetings.total;
        const byHour = await harness.get<GreetingsByHour>(RANGE);
        expect(byHour.status).toBe(200);
        expect(byHour.body.total).toBeGreaterThanOrEqual(lastByHour);
        lastByHour = byHour.body.total;
        const { body } = await harness.get<{ projections: ProjectionStatus[] }>('/projections');
        if (body.projections.every((p) => p.state === 'rebuilding')) answers.rebuilding++;
        answers.count++;
      }
    })();
    const rebuildStarted = started.body.id;
    await publish(2_000);
    const report = await finished(rebuildStarted);
    await allApplied();
    watching = false;
    await watch;

    expect(report).toMatchObject({ state: 'done', skipped: { total: 0 } });
    expect(report.historyFrom).toBeUndefined();
    expect(report.entriesRead).toBeGreaterThanOrEqual(5_000);
    expect(answers.count).toBeGreaterThan(0);
    expect(answers.rebuilding).toBeGreaterThan(0);
    await expectExact();
    // The live consumer goes on after the swap, exactly.
    await publish(300);
    await allApplied();
    await waitFor(async () => (await harness.get<GreetingsByHour>(RANGE)).body.total === expected.greetingsTotal(), {
      timeoutMs: 30_000,
      message: 'the by-hour projection stopped after the swap',
    });
    await expectExact();
    // No welcome from the rebuild: the names were all welcomed before it.
    expect(await harness.amqp.drain(Topology.helloQueue, 500)).toEqual([]);
    const { body } = await harness.get<{ projections: ProjectionStatus[] }>('/projections');
    expect(body.projections.map((p) => [p.name, p.source, p.state])).toEqual([
      ['greetings', 'queue', 'live'],
      ['messages', 'queue', 'live'],
      ['lines', 'queue', 'live'],
      ['greetings_by_hour', 'log', 'live'],
    ]);
    // The fresh tables are gone once swapped in.
    if (dialect === 'sqlite') expect(existsSync(join(harness.config.dataDir, REBUILD_DATABASE_FILE))).toBe(false);
  });

  it('should restore exactly the rows deleted from a projection, rebuilding only it', async () => {
    const database = await EventHandlerDatabase.open(harness.config);
    try {
      await database.db.deleteFrom('greetings').where('name', 'in', ['name-0', 'name-1']).execute();
      await database.db.deleteFrom('greetings_by_hour').execute();
      await database.db.updateTable('counters').set({ value: 0 }).where('name', '=', 'lines_received').execute();
    } finally {
      await database.close();
    }
    expect(await harness.greetingCount('name-0')).toBe(0);

    const started = await rebuild({ projections: ['greetings', 'greetings_by_hour'] });
    expect(started.status).toBe(202);
    const report = await finished(started.body.id);
    expect(report).toMatchObject({ state: 'done', projections: ['greetings', 'greetings_by_hour'] });
    expect(await harness.greetingCount('name-0')).toBe(expected.greetings.get('name-0'));
    expect((await stats()).greetings.total).toBe(expected.greetingsTotal());
    expect((await harness.get<GreetingsByHour>(RANGE)).body.total).toBe(expected.greetingsTotal());
    // Not rebuilt: the lines counter keeps what was done to it.
    expect((await stats()).lines.received).toBe(0);
    await rebuild({ projections: ['lines'] }).then(({ body }) => finished(body.id));
    await expectExact();
  });

  it('should skip and report entries of the log that are not valid events, and complete', async () => {
    await harness.publishEvent(GreetingGreetedIntegrationEvent.type, '{"name":', {}, 'greeting.greeted');
    await harness.publishEvent('greeting.greeted.v9', { eventId: 'x' }, {}, 'greeting.greeted');
    const started = await rebuild({ projections: ['greetings'] });
    const report = await finished(started.body.id);
    expect(report.state).toBe('done');
    expect(report.skipped.total).toBe(2);
    expect(report.skipped.byReason).toEqual({ 'malformed-json': 1, 'unknown-type': 1 });
    expect(report.skipped.entries.map((e) => e.reason)).toEqual(['malformed-json', 'unknown-type']);
    await expectExact();
  });

  it('should answer 400 to an unknown projection or a bad from, and 409 while a rebuild runs', async () => {
    const unknown = await rebuild({ projections: ['nope'] });
    expect({ status: unknown.status, error: unknown.body.error }).toEqual({ status: 400, error: 'invalid-request' });
    expect(unknown.body).toMatchObject({ message: expect.stringContaining('"nope"') });
    const badFrom = await rebuild({ from: 'yesterday' });
    expect({ status: badFrom.status, error: badFrom.body.error }).toEqual({ status: 400, error: 'invalid-request' });
    const extra = await rebuild({ projection: 'greetings' });
    expect(extra.status).toBe(400);

    const first = await rebuild({});
    const second = await rebuild({});
    expect({ status: second.status, error: second.body.error }).toEqual({ status: 409, error: 'rebuild-in-progress' });
    await finished(first.body.id);
    await expectExact();
  });

  it('should rebuild from a time as partial, naming it', async () => {
    const from = new Date(Date.now() - 1_000).toISOString();
    await publish(200);
    await allApplied();
    const started = await rebuild({ projections: ['lines'], from });
    const report = await finished(started.body.id);
    expect(report).toMatchObject({ state: 'done', historyFrom: from });
    const { body } = await harness.get<{ projections: ProjectionStatus[] }>('/projections');
    expect(body.projections.find((p) => p.name === 'lines')).toMatchObject({ state: 'partial', historyFrom: from });
    // Only the lines of the last 200 events (and those in the second before them) are counted.
    expect((await stats()).lines.received).toBeLessThan(expected.lines);
    expect((await stats()).lines.received).toBeGreaterThanOrEqual(40);
    // A rebuild from the first entry makes it whole again.
    await rebuild({ projections: ['lines'] }).then(({ body: b }) => finished(b.id));
    await expectExact();
  });

  if (dialect === 'postgres') {
    it('should refuse a rebuild while another replica of the database holds the rebuild lock', async () => {
      const client = new Client({ connectionString: harness.config.databaseUrl });
      await client.connect();
      try {
        await client.query(`select pg_advisory_lock(hashtext('hello-mesh.event-handler.projection-rebuild'))`);
        const refused = await rebuild({});
        expect({ status: refused.status, error: refused.body.error }).toEqual({
          status: 409,
          error: 'rebuild-in-progress',
        });
      } finally {
        await client.end();
      }
      const started = await rebuild({});
      expect(started.status).toBe(202);
      await finished(started.body.id);
      await expectExact();
      // The rebuild's schema is dropped once swapped in.
      const database = await EventHandlerDatabase.open(harness.config);
      try {
        const { rows } = await sql<{ n: number }>`
          select count(*)::int as n from information_schema.schemata where schema_name = 'hello_rebuild'`.execute(
          database.db,
        );
        expect(rows[0]?.n).toBe(0);
      } finally {
        await database.close();
      }
    });
  }
});

describe('a rebuild whose log lacks events the live tables applied', () => {
  let harness: EventHandlerHarness;

  beforeAll(async () => {
    harness = await EventHandlerHarness.create({ EVENT_HANDLER_REBUILD_SWAP_TIMEOUT_MS: '3000' });
    await declareTopology(harness.amqp.channel, eventLogTopology());
    await harness.start();
  });

  afterAll(async () => {
    await harness?.dispose();
  });

  it('should fail rather than swap in tables without them, leaving the live tables as they were', async () => {
    // Two greetings through hello.events (the log has them), two straight into the event-handler's
    // queue (the log does not): the live side applies all four.
    for (const [i, viaLog] of [true, true, false, false].entries()) {
      const event = GreetingGreetedIntegrationEvent.create({ name: 'Ada', message: 'Hi!' });
      if (viaLog) await harness.publishEvent(GreetingGreetedIntegrationEvent.type, event.toJSON());
      else {
        harness.amqp.channel.sendToQueue(Topology.eventHandlerQueue, Buffer.from(JSON.stringify(event.toJSON())), {
          type: GreetingGreetedIntegrationEvent.type,
          messageId: event.eventId,
          contentType: 'application/json',
          persistent: true,
        });
        await harness.amqp.channel.waitForConfirms();
      }
      await waitFor(async () => (await harness.greetingCount('Ada')) === i + 1, { message: `greeting ${i + 1}` });
    }
    const response = await fetch(`http://127.0.0.1:${harness.eventHandler.httpPort}/projections/rebuild`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ projections: ['greetings'] }),
    });
    expect(response.status).toBe(202);
    const { id } = (await response.json()) as RebuildReport;
    const report = await waitFor(
      async () => {
        const { body } = await harness.get<RebuildReport>('/projections/rebuild');
        return body.id === id && (body.state === 'done' || body.state === 'failed') ? body : undefined;
      },
      { timeoutMs: 60_000, message: 'the rebuild never finished' },
    );
    expect(report.state).toBe('failed');
    expect(report.error).toContain('2 events applied live are not in the fresh tables');
    expect(await harness.greetingCount('Ada')).toBe(4);
  });
});

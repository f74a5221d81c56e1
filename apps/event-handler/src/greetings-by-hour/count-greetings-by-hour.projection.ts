import { GreetingGreetedIntegrationEvent, type IntegrationEvent } from '@hello/contracts';
import { Injectable } from '@nestjs/common';
import type { Transaction } from 'kysely';
import type { EventHandlerSchema } from '../database/database-schema';
import type { LogProjection } from '../log-projections/log-projection';
import type { ProjectionTables } from '../projections/projector';

/** The projection's name in `GET /projections`, metrics and `projection_positions`. */
export const GREETINGS_BY_HOUR = 'greetings_by_hour';

/** The start of the UTC hour of `time`, as ISO-8601 (`2026-01-31T12:00:00.000Z`). */
export function hourOf(time: string | Date): string {
  const hour = new Date(time);
  hour.setUTCMinutes(0, 0, 0);
  return hour.toISOString();
}

/**
 * Greetings per UTC hour of their `greetedAt`, from the event log: it backfills from the log's first
 * greeting on its first start, then follows the log. One upsert per hour of a batch.
 */
@Injectable()
export class CountGreetingsByHour implements LogProjection {
  readonly name = GREETINGS_BY_HOUR;
  readonly eventTypes = [GreetingGreetedIntegrationEvent.type];
  readonly owns: ProjectionTables = { tables: ['greetings_by_hour'], counters: [] };

  async apply(trx: Transaction<EventHandlerSchema>, events: readonly IntegrationEvent[]): Promise<void> {
    const perHour = new Map<string, number>();
    for (const event of events) {
      if (!(event instanceof GreetingGreetedIntegrationEvent)) continue;
      const hour = hourOf(event.greetedAt);
      perHour.set(hour, (perHour.get(hour) ?? 0) + 1);
    }
    for (const [hour, count] of perHour) {
      await trx
        .insertInto('greetings_by_hour')
        .values({ hour, count })
        .onConflict((oc) =>
          oc.column('hour').doUpdateSet((eb) => ({ count: eb('greetings_by_hour.count', '+', count) })),
        )
        .execute();
    }
  }
}

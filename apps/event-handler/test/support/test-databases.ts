import { createTestDatabase } from '@hello/testing';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DatabaseDialect, DatabaseLocation } from '../../src/database/event-handler-database';

/** Both databases the event-handler runs on; specs of the store run once per entry. */
export const DIALECTS: readonly DatabaseDialect[] = ['sqlite', 'postgres'];

export interface TestDatabaseLocation {
  /** Give this to ProjectionStore.open / EventHandlerDatabase.open, or to loadConfig as env. */
  readonly location: DatabaseLocation;
  readonly env: Record<string, string>;
  dispose(): Promise<void>;
}

/**
 * A fresh, empty database of `dialect`: a SQLite file in a new temp folder, or a new database on
 * the test PostgreSQL server of the Jest run.
 */
export async function createTestDatabaseLocation(
  dialect: DatabaseDialect,
  name = 'event_handler',
): Promise<TestDatabaseLocation> {
  const dataDir = mkdtempSync(join(tmpdir(), `${name}-`));
  const removeDir = () => rmSync(dataDir, { recursive: true, force: true });
  if (dialect === 'sqlite') {
    return {
      location: { dataDir },
      env: { EVENT_HANDLER_DATA_DIR: dataDir },
      dispose: async () => removeDir(),
    };
  }
  const database = await createTestDatabase(name);
  return {
    location: { dataDir, databaseUrl: database.url },
    env: { EVENT_HANDLER_DATA_DIR: dataDir, EVENT_HANDLER_DATABASE_URL: database.url },
    dispose: async () => {
      await database.drop();
      removeDir();
    },
  };
}

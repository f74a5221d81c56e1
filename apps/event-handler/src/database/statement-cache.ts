import { BoundedMap } from '@hello/messaging';
import type { Database, Statement } from 'better-sqlite3';
import type { SqliteDatabase } from 'kysely';

/** Prepared statements kept: the app's queries, and the multi-row inserts of a few batch sizes. */
export const STATEMENT_CACHE_SIZE = 500;

/**
 * better-sqlite3 for Kysely's SqliteDialect, with its prepared statements kept by SQL text. Kysely's
 * SQLite driver prepares every query it runs, so SQLite parsed and planned each statement of each
 * event again (a sixth of an applied event's time); kysely has no option for it, hence this wrapper.
 * SQLite re-prepares a kept statement itself when the schema changed under it (a migration).
 */
export function withStatementCache(database: Database, capacity = STATEMENT_CACHE_SIZE): SqliteDatabase {
  const statements = new BoundedMap<Statement>(capacity);
  return {
    prepare(sql: string): Statement {
      let statement = statements.get(sql);
      if (!statement) {
        statement = database.prepare(sql);
        statements.set(sql, statement);
      }
      return statement;
    },
    close(): void {
      database.close();
    },
  };
}

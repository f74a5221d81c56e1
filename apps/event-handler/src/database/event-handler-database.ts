import { Logger } from '@nestjs/common';
import Database from 'better-sqlite3';
import { Kysely, PostgresDialect, sql, SqliteDialect } from 'kysely';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Pool, types } from 'pg';
import type { EventHandlerSchema } from './database-schema';
import { migrateToLatest } from './migrations';
import { withStatementCache } from './statement-cache';

/** File name of the SQLite database inside the data folder. */
export const DATABASE_FILE = 'projections.sqlite';
/** Where a rebuild writes its fresh tables: this SQLite file beside DATABASE_FILE, or this PostgreSQL schema. */
export const REBUILD_DATABASE_FILE = 'projections.rebuild.sqlite';
export const REBUILD_SCHEMA = 'hello_rebuild';

export type DatabaseDialect = 'sqlite' | 'postgres';

/** Where the database is: a postgres:// URL when given, else the SQLite file in `dataDir`. */
export interface DatabaseLocation {
  readonly databaseUrl?: string;
  readonly dataDir: string;
}

const INT8_OID = 20;
// Counts are bigint columns; as JavaScript numbers they are exact up to 2^53.
const pgTypes = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID
      ? (value: string) => Number(value)
      : types.getTypeParser(oid, format as 'text')) as typeof types.getTypeParser,
};

/**
 * The event-handler's database: one Kysely instance over either PostgreSQL (`pg` pool; several
 * replicas share it) or an embedded SQLite file (better-sqlite3, WAL mode, synchronous=FULL: a
 * committed transaction survives a crash of the process and of the host; one process only).
 * Opening it applies the migrations.
 */
export class EventHandlerDatabase {
  private readonly logger = new Logger(EventHandlerDatabase.name);
  private closed = false;
  private closing: Promise<void> | undefined;

  private constructor(
    readonly db: Kysely<EventHandlerSchema>,
    readonly dialect: DatabaseDialect,
    /** Where it is, without credentials: for logs and errors. */
    readonly description: string,
    /** The SQLite file (undefined on PostgreSQL). */
    readonly file?: string,
    /** The PostgreSQL schema of its tables when not the server's default (a rebuild's). */
    readonly schema?: string,
  ) {}

  static async open(location: DatabaseLocation): Promise<EventHandlerDatabase> {
    const database = location.databaseUrl
      ? EventHandlerDatabase.postgres(location.databaseUrl)
      : EventHandlerDatabase.sqlite(location.dataDir);
    try {
      await migrateToLatest(database.db as Kysely<unknown>, database.description);
    } catch (error) {
      await database.close();
      throw error;
    }
    return database;
  }

  /**
   * A fresh, empty database of the same schema beside the live one, for a rebuild's tables: the SQLite
   * file REBUILD_DATABASE_FILE in the data folder, or the schema REBUILD_SCHEMA of the PostgreSQL
   * database. Whatever an earlier rebuild left there (one that was killed) is dropped first. It is
   * scratch space: on SQLite it is written without waiting for the disk.
   */
  static async openRebuild(location: DatabaseLocation): Promise<EventHandlerDatabase> {
    let database: EventHandlerDatabase;
    if (location.databaseUrl) {
      const admin = EventHandlerDatabase.postgres(location.databaseUrl);
      try {
        await sql`drop schema if exists ${sql.id(REBUILD_SCHEMA)} cascade`.execute(admin.db);
        await sql`create schema ${sql.id(REBUILD_SCHEMA)}`.execute(admin.db);
      } finally {
        await admin.close();
      }
      database = EventHandlerDatabase.postgres(location.databaseUrl, REBUILD_SCHEMA);
    } else {
      const file = join(location.dataDir, REBUILD_DATABASE_FILE);
      for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });
      database = EventHandlerDatabase.sqlite(location.dataDir, REBUILD_DATABASE_FILE);
    }
    try {
      await migrateToLatest(database.db as Kysely<unknown>, database.description, database.schema);
    } catch (error) {
      await database.close();
      throw error;
    }
    return database;
  }

  /** Drops what `openRebuild` created (after the swap, or when a rebuild gives up). */
  static async dropRebuild(location: DatabaseLocation): Promise<void> {
    if (location.databaseUrl) {
      const admin = EventHandlerDatabase.postgres(location.databaseUrl);
      try {
        await sql`drop schema if exists ${sql.id(REBUILD_SCHEMA)} cascade`.execute(admin.db);
      } finally {
        await admin.close();
      }
    } else {
      const file = join(location.dataDir, REBUILD_DATABASE_FILE);
      for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });
    }
  }

  private static sqlite(dataDir: string, fileName = DATABASE_FILE): EventHandlerDatabase {
    mkdirSync(dataDir, { recursive: true });
    const file = join(dataDir, fileName);
    const sqlite = new Database(file);
    const scratch = fileName !== DATABASE_FILE;
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma(scratch ? 'synchronous = OFF' : 'synchronous = FULL');
    sqlite.pragma('foreign_keys = ON');
    // Another process holding the write lock (a backup, an operator's sqlite3 shell) is waited
    // for instead of failing the event at once.
    sqlite.pragma('busy_timeout = 5000');
    const db = new Kysely<EventHandlerSchema>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
    return new EventHandlerDatabase(db, 'sqlite', file, file);
  }

  /** `schema`: the connections' search_path (the live tables are in the server's default one). */
  private static postgres(url: string, schema?: string): EventHandlerDatabase {
    const pool = new Pool({
      connectionString: url,
      types: pgTypes,
      application_name: schema ? 'event-handler.rebuild' : 'event-handler',
      ...(schema ? { options: `-c search_path=${schema}` } : {}),
    });
    const description = describeUrl(url) + (schema ? ` (schema ${schema})` : '');
    const database = new EventHandlerDatabase(
      new Kysely<EventHandlerSchema>({ dialect: new PostgresDialect({ pool }) }),
      'postgres',
      description,
      undefined,
      schema,
    );
    // A connection that breaks (server restart, failover) must not crash the process: idle ones
    // the pool drops and replaces (its 'error'); one in use by a query or a transaction would
    // otherwise emit an unhandled 'error', and its statement fails anyway, which the caller sees.
    pool.on('error', (error) => database.logger.warn(`connection to ${description} lost: ${error.message}`));
    pool.on('connect', (client) =>
      client.on('error', (error) => database.logger.debug(`connection to ${description} broke: ${error.message}`)),
    );
    return database;
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  /** Resolves once the database answered a trivial query; rejects when it cannot be reached. */
  async ping(): Promise<void> {
    if (this.closed) throw new Error(`${this.description} is closed`);
    await sql`select 1`.execute(this.db);
  }

  /** Nest calls this after the transports have closed: nothing writes any more. */
  onApplicationShutdown(): Promise<void> {
    return this.close();
  }

  close(): Promise<void> {
    this.closed = true;
    this.closing ??= this.db.destroy();
    return this.closing;
  }
}

/** The URL without its password, for messages. */
export function describeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'postgres (unparsable URL)';
  }
}

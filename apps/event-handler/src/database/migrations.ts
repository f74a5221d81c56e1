import { type Kysely, sql } from 'kysely';
import { type Migration, type MigrationProvider, Migrator } from 'kysely/migration';

/**
 * The schema, as migrations in code, applied in name order by Kysely's Migrator, which records
 * them in `kysely_migration` (and, on PostgreSQL, holds an advisory lock while migrating, so
 * replicas starting together migrate once). Never edit a migration that has shipped: add one.
 */
export const MIGRATIONS: Readonly<Record<string, Migration>> = {
  // The schema of the SQLite file before migrations existed (it was marked `user_version = 1`);
  // IF NOT EXISTS lets such a file be adopted as it is.
  '0001_initial': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('inbox')
        .ifNotExists()
        .addColumn('event_id', 'text', (c) => c.primaryKey())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('applied_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('greetings')
        .ifNotExists()
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('count', 'bigint', (c) => c.notNull())
        .addColumn('first_greeted_at', 'text', (c) => c.notNull())
        .addColumn('last_greeted_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('greetings_by_last')
        .ifNotExists()
        .on('greetings')
        .column('last_greeted_at')
        .execute();
      await db.schema
        .createTable('counters')
        .ifNotExists()
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('value', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('recent_messages')
        .ifNotExists()
        .addColumn('event_id', 'text', (c) => c.primaryKey())
        .addColumn('message_id', 'text', (c) => c.notNull())
        .addColumn('text', 'text', (c) => c.notNull())
        .addColumn('handled_at', 'text', (c) => c.notNull())
        .addColumn('seq', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('outbox')
        .ifNotExists()
        .addColumn('message_id', 'text', (c) => c.primaryKey())
        .addColumn('exchange', 'text', (c) => c.notNull())
        .addColumn('routing_key', 'text', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .addColumn('cause_event_id', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('sent_at', 'text')
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('last_error', 'text')
        .execute();
      await db.schema
        .createIndex('outbox_pending')
        .ifNotExists()
        .on('outbox')
        .column('created_at')
        .where(sql.ref('sent_at'), 'is', null)
        .execute();
    },
  },
  // Pruning deletes inbox rows by age.
  '0002_inbox_by_applied_at': {
    async up(db: Kysely<unknown>) {
      await db.schema.createIndex('inbox_by_applied_at').on('inbox').column('applied_at').execute();
    },
  },
  // Projections fed from the event log: greetings per UTC hour, and how far each has read the log.
  '0003_log_projections': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('greetings_by_hour')
        .addColumn('hour', 'text', (c) => c.primaryKey())
        .addColumn('count', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('projection_positions')
        .addColumn('projection', 'text', (c) => c.primaryKey())
        .addColumn('log_offset', 'bigint', (c) => c.notNull())
        .addColumn('applied_at', 'text', (c) => c.notNull())
        .addColumn('events_skipped', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('history_from', 'text')
        .execute();
    },
  },
};

const provider: MigrationProvider = { getMigrations: async () => ({ ...MIGRATIONS }) };

/**
 * Brings the database (or, given `schema`, that PostgreSQL schema of it) to the latest schema. Refuses (throws) a database that a newer build has
 * migrated further than this one knows, instead of guessing what its tables mean.
 */
export async function migrateToLatest(db: Kysely<unknown>, where: string, schema?: string): Promise<void> {
  const known = Object.keys(MIGRATIONS).sort();
  const tables = await db.introspection.getTables({ withInternalKyselyTables: true });
  if (tables.some((t) => t.name === 'kysely_migration' && (!schema || t.schema === schema))) {
    const executed = await (db as Kysely<{ kysely_migration: { name: string } }>)
      .selectFrom('kysely_migration')
      .select('name')
      .execute();
    const unknown = executed
      .map((m) => m.name)
      .filter((name) => !known.includes(name))
      .sort();
    if (unknown.length > 0) {
      throw new Error(
        `${where} has schema version ${unknown[unknown.length - 1]}; this build knows versions up to ` +
          `${known[known.length - 1]}`,
      );
    }
  }
  // A schema of its own (a rebuild's): its migration table is there too, not in the default schema.
  const { error, results } = await new Migrator({
    db,
    provider,
    ...(schema ? { migrationTableSchema: schema } : {}),
  }).migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`could not migrate ${where}${failed ? ` (migration ${failed})` : ''}: ${reason}`);
  }
}

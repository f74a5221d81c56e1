import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

export interface TestDatabase {
  /** postgres:// URL of this database. */
  readonly url: string;
  readonly name: string;
  /** Drops the database, ending any connection still open to it. */
  drop(): Promise<void>;
}

function serverUrl(): string {
  const url = process.env['HELLO_TEST_DATABASE_URL'];
  if (!url) {
    throw new Error(
      'HELLO_TEST_DATABASE_URL is not set: run the tests through Jest (its global setup starts ' +
        'PostgreSQL) or set it to a postgres:// URL whose user may create databases',
    );
  }
  return url;
}

async function onServer<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: serverUrl() });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * A fresh, empty database on the test PostgreSQL server (`HELLO_TEST_DATABASE_URL`, set by the
 * Jest global setup), so that a spec's tables never meet another's.
 */
export async function createTestDatabase(name = 'test'): Promise<TestDatabase> {
  const database = `${name.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}_${randomBytes(4).toString('hex')}`;
  await onServer((client) => client.query(`CREATE DATABASE "${database}"`));
  const url = new URL(serverUrl());
  url.pathname = `/${database}`;
  return {
    url: url.toString(),
    name: database,
    drop: () =>
      onServer((client) => client.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`)).then(() => undefined),
  };
}

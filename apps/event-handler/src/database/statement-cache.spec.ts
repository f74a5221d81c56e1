import Database from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { withStatementCache } from './statement-cache';

describe('withStatementCache', () => {
  let sqlite: Database.Database;
  let prepared: string[];

  beforeEach(() => {
    sqlite = new Database(':memory:');
    prepared = [];
    const prepare = sqlite.prepare.bind(sqlite);
    sqlite.prepare = ((source: string) => {
      prepared.push(source);
      return prepare(source);
    }) as typeof sqlite.prepare;
  });

  afterEach(() => {
    if (sqlite.open) sqlite.close();
  });

  it('prepares each SQL text once, however often Kysely runs it', async () => {
    const db = new Kysely<{ t: { id: number; v: string } }>({
      dialect: new SqliteDialect({ database: withStatementCache(sqlite) }),
    });
    await sql`create table t (id integer primary key, v text)`.execute(db);
    for (let i = 0; i < 50; i++) {
      await db.transaction().execute(async (trx) => {
        await trx
          .insertInto('t')
          .values({ id: i, v: `v${i}` })
          .execute();
      });
    }
    const rows = await db.selectFrom('t').select(['id', 'v']).where('id', '<', 3).orderBy('id').execute();
    await db.destroy();

    expect(rows).toEqual([
      { id: 0, v: 'v0' },
      { id: 1, v: 'v1' },
      { id: 2, v: 'v2' },
    ]);
    // create, begin, insert, commit, select: one preparation each for 50 transactions.
    expect(prepared).toHaveLength(5);
    expect(new Set(prepared).size).toBe(5);
    expect(sqlite.open).toBe(false);
  });

  it('keeps at most `capacity` statements, preparing a forgotten one again', () => {
    const cached = withStatementCache(sqlite, 2);
    cached.prepare('select 1');
    cached.prepare('select 2');
    cached.prepare('select 3');
    cached.prepare('select 3');
    cached.prepare('select 2');
    cached.prepare('select 1');

    expect(prepared).toEqual(['select 1', 'select 2', 'select 3', 'select 1']);
  });

  it('answers from the current schema after a migration changed a table under a kept statement', () => {
    const cached = withStatementCache(sqlite);
    sqlite.exec('create table t (id integer primary key); insert into t values (1)');
    expect(cached.prepare('select * from t').all([])).toEqual([{ id: 1 }]);

    sqlite.exec("alter table t add column name text not null default 'x'");

    expect(cached.prepare('select * from t').all([])).toEqual([{ id: 1, name: 'x' }]);
    expect(prepared.filter((s) => s === 'select * from t')).toHaveLength(1);
  });
});

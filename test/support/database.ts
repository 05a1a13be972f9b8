// A connection of the test's own to a gateway's database, for looking at
// (or changing behind the gateway's back) what it stored. Closed at teardown.
import { sql } from 'kysely'
import type { Test } from 'tap'
import { openDatabase, type Db } from '../../src/storage/database.js'

export async function openTestDatabase (t: Test, url: string): Promise<Db> {
  const database = await openDatabase(url)
  t.teardown(() => database.close())
  return database.db
}

/** Rows of a table, optionally only those matching `where` (column = value). */
export async function countRows (db: Db, table: 'users' | 'sessions' | 'refreshTokens' | 'revocations' | 'auditEvents' | 'gatewayKeys', where: Record<string, unknown> = {}): Promise<number> {
  let query = db.selectFrom(table).select(db.fn.countAll<number>().as('n'))
  for (const [column, value] of Object.entries(where)) {
    query = value === null ? query.where(column as never, 'is', null) : query.where(column as never, '=', value as never)
  }
  const row = await query.executeTakeFirstOrThrow()
  return Number(row.n)
}

/**
 * Makes every insert into `table` fail from now on (a trigger), to stand for
 * a fault in the middle of a transaction: a crash, a lost connection.
 */
export async function refuseInserts (db: Db, provider: 'sqlite' | 'postgresql', table: string): Promise<void> {
  await refuse(db, provider, 'INSERT', table)
}

/** Makes every delete from `table` fail from now on, as refuseInserts does inserts. */
export async function refuseDeletes (db: Db, provider: 'sqlite' | 'postgresql', table: string): Promise<void> {
  await refuse(db, provider, 'DELETE', table)
}

async function refuse (db: Db, provider: 'sqlite' | 'postgresql', operation: 'INSERT' | 'DELETE', table: string): Promise<void> {
  const name = `refuse_${operation.toLowerCase()}_${table}`
  const statements = provider === 'sqlite'
    ? [`CREATE TRIGGER ${name} BEFORE ${operation} ON ${table} BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`]
    : [
        `CREATE FUNCTION ${name} () RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$`,
        `CREATE TRIGGER ${name} BEFORE ${operation} ON ${table} FOR EACH ROW EXECUTE FUNCTION ${name}()`
      ]
  for (const statement of statements) await sql.raw(statement).execute(db)
}

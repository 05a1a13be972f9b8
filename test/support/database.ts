// A connection of the test's own to a gateway's database, for looking at
// (or changing behind the gateway's back) what it stored. Closed at teardown.
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

// The hot statements on an analysed SQLite file (storage/sqlite-dialect.ts):
// with SQLite's statistics present, each still finds its rows by index, and
// binds no value where the planner would look it up, which would compile the
// statement again on every run with a new key.
import { CompiledQuery, sql } from 'kysely'
import t from 'tap'
import { createUsersStore } from '../../src/accounts/users-store.js'
import { createSessionsStore } from '../../src/sessions/sessions-store.js'
import { openDatabase } from '../../src/storage/database.js'
import { preparedStatements } from '../../src/storage/prepared.js'
import { freshDatabaseUrl } from '../helper.js'

t.test('SQLite: on an analysed file, every hot statement keeps an index plan that no bound value can change', async (t) => {
  const database = await openDatabase(await freshDatabaseUrl(t, 'sqlite'))
  t.teardown(database.close)
  const { db } = database
  createSessionsStore(database)
  createUsersStore(database)
  // The chained-CTE forms are PostgreSQL's; SQLite runs the plain ones.
  const statements = preparedStatements().filter(s => !/^with /i.test(s.sql))
  t.ok(statements.length >= 8, `${statements.length} hot statements`)

  // Skewed rows, so that the statistics (sqlite_stat4's samples) say something about values.
  const now = new Date()
  const later = new Date(now.getTime() + 86_400_000)
  const sessionId = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`
  await db.insertInto('users').values(Array.from({ length: 200 }, (_, i) => ({
    email: `u${i}@example.com`, username: `u${i}`, passwordHash: 'hash', createdAt: now, updatedAt: now
  }))).execute()
  const users = (await db.selectFrom('users').select('id').execute()).map(u => u.id)
  await db.insertInto('sessions').values(Array.from({ length: 1000 }, (_, i) => ({
    id: sessionId(i),
    userId: i < 900 ? (users[0] as number) : (users[i % users.length] as number),
    refreshPolicy: 'rotating', createdAt: now, lastUsedAt: now, expiresAt: later, endedAt: i % 3 === 0 ? now : null
  }))).execute()
  await db.insertInto('refreshTokens').values(Array.from({ length: 1000 }, (_, i) => ({
    id: `10000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    sessionId: sessionId(i),
    tokenHash: i.toString(16).padStart(64, '0'), successorSeed: 'seed', createdAt: now, expiresAt: later
  }))).execute()
  await sql`analyze`.execute(db)
  const samples = await sql<{ n: number }>`select count(*) as n from sqlite_stat4`.execute(db)
  t.ok((samples.rows[0]?.n ?? 0) > 0, 'the file holds STAT4 samples, which a bare parameter would be looked up in')

  for (const statement of statements) {
    const name = statement.sql.slice(0, 60)
    // Every value goes in as `+?`: the same value, but not one the planner looks up.
    t.notMatch(statement.sql, /(?<!\+)\?/, `${name}…: every value bound as +?`)
    const values = statement.slots.map((slot, i) => slot === undefined ? statement.constants[i] : '1')
    const plan = (await db.executeQuery<{ detail: string }>(CompiledQuery.raw(`EXPLAIN QUERY PLAN ${statement.sql}`, values))).rows.map(r => r.detail)
    t.notOk(plan.some(step => /^SCAN (?!CONSTANT)/.test(step)), `${name}…: ${plan.filter(s => /^(SCAN|SEARCH)/.test(s)).join('; ') || 'no table read'}`)
  }
})

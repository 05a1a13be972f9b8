// SQLite's access (storage/sqlite-dialect.ts). The hot statements on an
// analysed file: with SQLite's statistics present, each still finds its rows
// by index, and binds no value where the planner would look it up, which
// would compile the statement again on every run with a new key. And the
// transactions of one turn of the event loop, committed together: each
// caller hears of its own only once it is in the file, a member's failure
// undoes only its own statements, and a failed commit fails every member.
import BetterSqlite from 'better-sqlite3'
import { CompiledQuery, sql } from 'kysely'
import t, { type Test } from 'tap'
import { createUsersStore } from '../../src/accounts/users-store.js'
import { createSessionsStore } from '../../src/sessions/sessions-store.js'
import { openDatabase, type Database } from '../../src/storage/database.js'
import { sqlitePath } from '../../src/storage/database-url.js'
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
    tokenHash: i.toString(16).padStart(64, '0'), createdAt: now, expiresAt: later
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

/** A database with a table `t` to write, and a connection of another process's kind to read what is committed. */
async function withObserver (t: Test): Promise<{ database: Database, committed: () => number[] }> {
  const url = await freshDatabaseUrl(t, 'sqlite')
  const database = await openDatabase(url)
  t.teardown(database.close)
  await sql`create table t (x integer not null)`.execute(database.db)
  const observer = new BetterSqlite(sqlitePath(url), { readonly: true })
  t.teardown(() => observer.close())
  const rows = observer.prepare('select x from t order by x')
  return { database, committed: () => (rows.all() as Array<{ x: number }>).map(r => r.x) }
}

const insert = (x: number) => CompiledQuery.raw(`insert into t (x) values (${x})`)

t.test('SQLite: transactions begun in one turn share one commit, and each caller hears of its own only once it is committed', async (t) => {
  const { database, committed } = await withObserver(t)
  const seen: number[][] = []
  const members = [1, 2, 3].map(x => database.transaction(async (run) => {
    await run.executeQuery(insert(x))
    return x
  }).then((result) => { seen.push(committed()); return result }))
  t.same(await Promise.all(members), [1, 2, 3], 'each caller gets its own result')
  // Committed one by one, the first caller would have heard of its row before the others' were written.
  t.same(seen, [[1, 2, 3], [1, 2, 3], [1, 2, 3]], 'when any caller hears, every member is in the file')
  await database.transaction(async (run) => { await run.executeQuery(insert(4)) })
  t.same(committed(), [1, 2, 3, 4], 'a transaction of a later turn commits in a batch of its own')
})

t.test('SQLite: a statement that writes outside a transaction while a batch is open is answered once committed', async (t) => {
  const { database, committed } = await withObserver(t)
  const member = database.transaction(async (run) => { await run.executeQuery(insert(1)) })
  const alone = database.run.executeQuery(insert(2)).then(() => committed())
  await member
  t.same(await alone, [1, 2])
})

t.test('SQLite: a member whose statements fail is undone alone; the others commit', async (t) => {
  const { database, committed } = await withObserver(t)
  const failing = database.transaction(async (run) => {
    await run.executeQuery(insert(1))
    throw new Error('refused')
  })
  const standing = database.transaction(async (run) => { await run.executeQuery(insert(2)) })
  await t.rejects(failing, /refused/)
  await standing
  t.same(committed(), [2], 'only the failed member\'s row is missing')
})

t.test('SQLite: a commit that fails fails every member of its batch and writes nothing', async (t) => {
  const { database, committed } = await withObserver(t)
  // A deferred foreign key is checked at the commit: the commit itself fails.
  await sql`create table parent (id integer primary key)`.execute(database.db)
  await sql`create table child (parent_id integer not null references parent (id) deferrable initially deferred)`.execute(database.db)
  const orphan = database.transaction(async (run) => { await run.executeQuery(CompiledQuery.raw('insert into child (parent_id) values (99)')) })
  const bystander = database.transaction(async (run) => { await run.executeQuery(insert(1)) })
  await t.rejects(orphan, /FOREIGN KEY/)
  await t.rejects(bystander, /FOREIGN KEY/, 'a member of the batch is not told it committed')
  t.same(committed(), [], 'nothing of the batch is in the file')
  await database.transaction(async (run) => { await run.executeQuery(insert(2)) })
  t.same(committed(), [2], 'the next batch commits')
})

t.test('SQLite: once SQLite has rolled a batch back whole, its later members fail instead of committing alone', async (t) => {
  const { database, committed } = await withObserver(t)
  // What SQLite does on some errors (a full disk, an I/O error): the whole transaction is gone.
  const first = database.transaction(async (run) => {
    await run.executeQuery(insert(1))
    await run.executeQuery(CompiledQuery.raw('rollback'))
  })
  const later = database.transaction(async (run) => { await run.executeQuery(insert(2)) })
  await t.rejects(first)
  await t.rejects(later, /rolled back/)
  t.same(committed(), [], 'no member wrote anything')
  await database.transaction(async (run) => { await run.executeQuery(insert(3)) })
  t.same(committed(), [3], 'the next batch commits')
})

t.test('SQLite: Prisma\'s operations wait for an open batch and see what it committed', async (t) => {
  const { database } = await withObserver(t)
  const now = new Date()
  const inserted = database.transaction(async (run) => {
    await run.executeQuery(database.db.insertInto('users').values({ email: 'a@example.com', username: 'a', passwordHash: 'hash', createdAt: now, updatedAt: now }).compile())
  })
  // Prisma's connection is another one to the same file: it must not wait on SQLite's lock on the one thread both run on.
  const counted = database.prisma.user.count()
  await inserted
  t.equal(await counted, 1)
})

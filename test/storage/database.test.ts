// The two query layers on one database (storage/database.ts): values
// round-trip between Kysely and Prisma on both providers, and on SQLite,
// where each has its own connection to the file, neither ever runs inside
// the other's transaction, however many of both run at once.
import { statSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { sql } from 'kysely'
import t from 'tap'
import { createUsersStore } from '../../src/accounts/users-store.js'
import { openDatabase } from '../../src/storage/database.js'
import { preparedStatements } from '../../src/storage/prepared.js'
import { SERVING_CHECKPOINT_PAGES } from '../../src/storage/sqlite-checkpointer.js'
import { sqlitePath } from '../../src/storage/database-url.js'
import { eachProvider, freshDatabaseUrl, providerNeeds } from '../helper.js'
import { testWith } from '../support/services.mjs'

eachProvider('a row written by Kysely reads back through Prisma, and the other way round', async (t, provider) => {
  const { db, prisma, close } = await openDatabase(await freshDatabaseUrl(t, provider))
  t.teardown(close)
  const created = new Date('2026-11-25T10:11:12.345Z')
  await db.insertInto('users').values({ email: 'a@example.com', username: 'a', passwordHash: 'hash', disabled: true, createdAt: created, updatedAt: created }).execute()
  const viaPrisma = await prisma.user.update({ where: { id: (await db.selectFrom('users').select('id').executeTakeFirstOrThrow()).id }, data: { disabled: true } })
  t.equal(viaPrisma.createdAt.toISOString(), created.toISOString(), 'a date written by Kysely is the same instant for Prisma')
  t.equal(viaPrisma.disabled, true)

  const made = await prisma.user.create({ data: { email: 'b@example.com', username: 'b', passwordHash: 'hash', name: '', firstName: '', lastName: '', role: 'customer', tenantId: null, avatar: '' } })
  const viaKysely = await db.selectFrom('users').selectAll().where('id', '=', made.id).executeTakeFirstOrThrow()
  t.same(viaKysely, made, 'a row written by Prisma reads back identically through Kysely (dates, booleans, nulls)')
  t.type(viaKysely.createdAt, Date)
  t.equal(viaKysely.disabled, false)

  const later = await db.selectFrom('users').select('email').where('createdAt', '>', created).execute()
  t.same(later.map(r => r.email), ['b@example.com'], 'comparisons between rows of the two writers order correctly')
})

t.test('SQLite: Kysely transactions and Prisma statements never run inside each other', async (t) => {
  const { db, prisma, close } = await openDatabase(await freshDatabaseUrl(t, 'sqlite'))
  t.teardown(close)
  const user = (email: string) => ({ email, username: email, passwordHash: 'hash', name: '', firstName: '', lastName: '', role: 'customer', tenantId: null, avatar: '' })
  const now = new Date()
  const rolledBack = new Error('roll back')
  const work: Array<PromiseLike<unknown>> = []
  for (let i = 0; i < 40; i++) {
    // A transaction that writes, yields to the event loop (where Prisma's statements queue up), writes again, then ends.
    work.push(db.transaction().execute(async (tx) => {
      await tx.insertInto('users').values({ ...user(`kysely-${i}-a@example.com`), createdAt: now, updatedAt: now }).execute()
      await new Promise(resolve => setImmediate(resolve))
      await tx.insertInto('users').values({ ...user(`kysely-${i}-b@example.com`), createdAt: now, updatedAt: now }).execute()
      if (i % 2 === 1) throw rolledBack
    }).catch((err: unknown) => { if (err !== rolledBack) throw err }))
    work.push(prisma.user.create({ data: user(`prisma-${i}@example.com`) }))
  }
  await Promise.all(work)
  const emails = new Set((await db.selectFrom('users').select('email').execute()).map(r => r.email))
  for (let i = 0; i < 40; i++) {
    t.ok(emails.has(`prisma-${i}@example.com`), `Prisma's row ${i} stands, whatever the transactions beside it did`)
    const kept = i % 2 === 0
    t.equal(emails.has(`kysely-${i}-a@example.com`) && emails.has(`kysely-${i}-b@example.com`), kept, `transaction ${i} ${kept ? 'committed both rows' : 'rolled back both rows'}`)
    if (!kept) t.notOk(emails.has(`kysely-${i}-a@example.com`), `nothing of rolled-back transaction ${i} remains`)
  }
  t.equal(emails.size, 40 + 20 * 2)
})

t.test('SQLITE_SYNCHRONOUS sets how SQLite flushes commits', async (t) => {
  const url = await freshDatabaseUrl(t, 'sqlite')
  for (const [setting, expected] of [[undefined, 1], ['FULL', 2], ['NORMAL', 1]] as const) {
    const { db, close } = await openDatabase(url, setting === undefined ? {} : { sqliteSynchronous: setting })
    const { rows } = await sql<{ synchronous: number }>`PRAGMA synchronous`.execute(db)
    await close()
    t.equal(rows[0]?.synchronous, expected, `${setting ?? 'default'}`)
  }
})

t.test('SQLite: commits reach the database file through checkpoints off the serving connection', async (t) => {
  const url = await freshDatabaseUrl(t, 'sqlite')
  const { db, close } = await openDatabase(url)
  t.teardown(close)
  const { rows } = await sql<{ walAutocheckpoint: number }>`PRAGMA wal_autocheckpoint`.execute(db)
  t.equal(rows[0]?.walAutocheckpoint, SERVING_CHECKPOINT_PAGES, 'the serving connection checkpoints by itself only past its own threshold')

  // About 300 pages of commits, far below that threshold: only another connection's checkpoints move them into the file.
  const file = sqlitePath(url)
  const before = statSync(file).size
  const now = new Date()
  for (let i = 0; i < 300; i++) {
    await db.insertInto('users').values({ email: `u${i}@example.com`, username: `u${i}`, passwordHash: 'x'.repeat(3000), createdAt: now, updatedAt: now }).execute()
  }
  let grown = 0
  for (let waited = 0; waited < 5000 && grown < 300 * 3000; waited += 50) {
    await sleep(50)
    grown = statSync(file).size - before
  }
  t.ok(grown >= 300 * 3000, `the database file holds the commits (${grown} bytes more) without a checkpoint of the serving connection`)
})

void testWith(t, 'PostgreSQL: a hot statement is parsed and planned once per connection, and outlives a migration that adds a column', providerNeeds('postgresql'), async (t) => {
  const database = await openDatabase(await freshDatabaseUrl(t, 'postgresql'))
  t.teardown(database.close)
  const now = new Date()
  const { id } = await database.db.insertInto('users').values({ email: 'p@example.com', username: 'p', passwordHash: 'hash', createdAt: now, updatedAt: now })
    .returning('id').executeTakeFirstOrThrow()

  // One connection of the pool, so that what the server has prepared on it can be read back.
  await database.db.connection().execute(async (connection) => {
    const users = createUsersStore({ ...database, run: connection })
    const prepared = async () => (await sql<{ name: string, statement: string }>`select name, statement from pg_prepared_statements order by name`.execute(connection)).rows
    t.same(await prepared(), [], 'nothing is prepared before a hot statement runs')
    await sql`select email from users where email = ${'p@example.com'}`.execute(connection)
    t.same(await prepared(), [], 'a query that is not a hot statement runs unnamed')

    for (let i = 0; i < 3; i++) t.equal((await users.findByEmail('p@example.com'))?.username, 'p')
    const once = await prepared()
    t.equal(once.length, 1, 'the lookup is prepared once, however often it runs')
    t.match(once[0]?.name, /^authgate_\d+$/)
    t.match(once[0]?.statement, /from "users" where "email" = \$1$/)
    t.equal((await users.findById(id))?.email, 'p@example.com')
    t.equal((await prepared()).length, 2, 'each hot statement has a name of its own')

    // A rolling deploy: another instance migrates while this connection keeps its statements.
    await sql`alter table users add column nickname text`.execute(database.db)
    t.equal((await users.findByEmail('p@example.com'))?.username, 'p', 'the prepared lookup still answers: its columns are named, so its result keeps its shape')
    t.same(Object.keys((await users.findById(id)) ?? {}).sort(), Object.keys((await database.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirstOrThrow())).filter(k => k !== 'nickname').sort(),
      'and it reads every column the model has')
  })
})

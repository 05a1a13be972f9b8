// The driver path under Prisma (storage/sql.ts): values round-trip the way
// Prisma writes and reads them, and on SQLite a statement never lands inside
// a Prisma transaction that is open on the shared connection.
import t from 'tap'
import { openDatabase } from '../../src/storage/database.js'
import { eachProvider, freshDatabaseUrl } from '../helper.js'

eachProvider('a row written by the driver reads back through Prisma, and the other way round', async (t, provider) => {
  const { db, sql, close } = await openDatabase(await freshDatabaseUrl(t, provider))
  t.teardown(close)
  const created = new Date('2026-11-25T10:11:12.345Z')
  const changed = await sql.execute('INSERT INTO users (email, username, password_hash, disabled, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)',
    ['a@example.com', 'a', 'hash', true, created, created])
  t.equal(changed, 1)
  const viaPrisma = await db.user.findUniqueOrThrow({ where: { email: 'a@example.com' } })
  t.equal(viaPrisma.createdAt.toISOString(), created.toISOString(), 'a DateTime written by the driver is the same instant for Prisma')
  t.equal(viaPrisma.disabled, true)

  const later = new Date('2026-11-26T00:00:00.001Z')
  await db.user.update({ where: { id: viaPrisma.id }, data: { updatedAt: later } })
  const [row] = await sql.rows('SELECT id, updated_at FROM users WHERE updated_at > ? AND email = ?', [created, 'a@example.com'])
  t.equal(Number(row?.id), viaPrisma.id, 'comparisons between the two writers order correctly')
  t.equal(new Date(row?.updated_at as string | Date).toISOString(), later.toISOString())
})

t.test('SQLite: a statement waits for an open Prisma transaction instead of joining it', async (t) => {
  const { db, sql, close } = await openDatabase(await freshDatabaseUrl(t, 'sqlite'))
  t.teardown(close)
  const insert = (email: string) => sql.execute('INSERT INTO users (email, username, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?)',
    [email, email, 'hash', new Date(), new Date()])
  let outside: Promise<number> | undefined
  await t.rejects(db.$transaction(async (tx) => {
    await tx.user.create({ data: { email: 'inside@example.com', username: 'inside', passwordHash: 'hash' } })
    outside = insert('outside@example.com')
    // Give the waiting statement every chance to run before the rollback.
    for (let i = 0; i < 20; i++) await new Promise(resolve => setImmediate(resolve))
    throw new Error('roll back')
  }), /roll back/)
  t.equal(await outside, 1)
  const emails = (await db.user.findMany({ select: { email: true } })).map(u => u.email)
  t.same(emails, ['outside@example.com'], 'the rollback took only the transaction\'s own row')
})

t.test('SQLITE_SYNCHRONOUS sets how SQLite flushes commits', async (t) => {
  const url = await freshDatabaseUrl(t, 'sqlite')
  for (const [setting, expected] of [[undefined, 1n], ['FULL', 2n], ['NORMAL', 1n]] as const) {
    const { db, close } = await openDatabase(url, setting === undefined ? {} : { sqliteSynchronous: setting })
    const [row] = await db.$queryRawUnsafe<Array<{ synchronous: bigint }>>('PRAGMA synchronous')
    await close()
    t.equal(row?.synchronous, expected, `${setting ?? 'default'}`)
  }
})

// The user cache of authenticated reads (accounts/users-store.ts), on the
// real database of each provider: requests that miss together read once,
// and a user changed while a read was under way is not kept as it was.
import { setTimeout as sleep } from 'node:timers/promises'
import type { CompiledQuery, QueryResult } from 'kysely'
import { createUsersStore } from '../../src/accounts/users-store.js'
import { openDatabase } from '../../src/storage/database.js'
import type { QueryRunner } from '../../src/storage/prepared.js'
import { eachProvider, freshDatabaseUrl, type Test, type TestProvider } from '../helper.js'

/** The database's own runner, counting the reads of the users table and holding their answers until `release` (when held). */
function watchedRunner (runner: QueryRunner) {
  let held: Promise<void> | undefined
  let release = (): void => {}
  const watched = {
    userReads: 0,
    hold () { held = new Promise((resolve) => { release = resolve }) },
    release () { release(); held = undefined },
    async executeQuery<R> (query: CompiledQuery<R>): Promise<QueryResult<R>> {
      const reading = /^select .* from "users"/i.test(query.sql)
      if (reading) watched.userReads++
      const wait = held
      const result = await runner.executeQuery(query)
      if (reading && wait !== undefined) await wait
      return result
    }
  }
  return watched
}

async function storeWithUser (t: Test, provider: TestProvider) {
  const database = await openDatabase(await freshDatabaseUrl(t, provider))
  t.teardown(database.close)
  const now = new Date()
  const { id } = await database.db.insertInto('users')
    .values({ email: 'cached@example.com', username: 'cached', passwordHash: 'hash', createdAt: now, updatedAt: now })
    .returning('id').executeTakeFirstOrThrow()
  const runner = watchedRunner(database.run)
  return { database, runner, users: createUsersStore({ ...database, run: runner }), id }
}

eachProvider('requests that miss the user cache together read the user once', async (t, provider) => {
  const { runner, users, id } = await storeWithUser(t, provider)
  runner.hold()
  const reads = Array.from({ length: 20 }, async () => await users.findByIdCached(id))
  await sleep(50)
  runner.release()
  const found = await Promise.all(reads)
  t.equal(runner.userReads, 1, 'one query for twenty requests')
  t.ok(found.every((user) => user?.email === 'cached@example.com'), 'each request has the user')
  t.equal((await users.findByIdCached(id))?.email, 'cached@example.com')
  t.equal(runner.userReads, 1, 'and the next request is answered from the cache')
  t.equal(await users.findByIdCached(id + 1000), null, 'a user that does not exist is null')
  t.equal(await users.findByIdCached(id + 1000), null)
  t.equal(runner.userReads, 3, 'and is not cached: each miss reads again')
})

eachProvider('a user changed while a read of it is under way is not kept as that read found it', async (t, provider) => {
  const { database, runner, users, id } = await storeWithUser(t, provider)
  runner.hold()
  const before = users.findByIdCached(id)
  await sleep(50)
  await database.db.updateTable('users').set({ disabled: true }).where('id', '=', id).execute()
  users.forget(id)
  runner.release()
  t.equal((await before)?.disabled, false, 'the read under way answers what it found')
  t.equal((await users.findByIdCached(id))?.disabled, true, 'the next read finds the change')
  t.equal(runner.userReads, 2)

  runner.hold()
  const during = users.findByIdCached(id)
  await sleep(50)
  users.forget(id)
  const after = users.findByIdCached(id)
  runner.release()
  await Promise.all([during, after])
  t.equal(runner.userReads, 3, 'a request after the change does not wait for the read that began before it')
})

eachProvider('re-enabling a user is seen by the next read, even with a read under way', async (t, provider) => {
  const { database, runner, users, id } = await storeWithUser(t, provider)
  await database.db.updateTable('users').set({ disabled: true }).where('id', '=', id).execute()
  runner.hold()
  const before = users.findByIdCached(id)
  await sleep(50)
  const enabled = await users.enable(id, { type: 'user.enabled', userId: id }, new Date())
  t.equal(enabled?.disabled, false)
  runner.release()
  t.equal((await before)?.disabled, true, 'the read under way answers what it found')
  t.equal((await users.findByIdCached(id))?.disabled, false, 'the next read finds the user enabled')
})

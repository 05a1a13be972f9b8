// The revocation list learns every ended session, whatever order the
// revocations commit in, and loads them all before the instance serves.
import { setTimeout as sleep } from 'node:timers/promises'
import pg from 'pg'
import t from 'tap'
import { buildApp } from '../../src/app.js'
import { createRevocationList } from '../../src/sessions/revocation-list.js'
import { openDatabase } from '../../src/storage/database.js'
import { POSTGRES } from '../setup/databases.js'
import { buildTestApp, createUser, eachProvider, freshDatabaseUrl, login, manualClock, testConfig } from '../helper.js'
import { testWith } from '../support/services.mjs'

const MINUTE = 60_000

void testWith(t, 'PostgreSQL: a revocation that commits after a later one is still learned', [POSTGRES], async (t) => {
  const url = await freshDatabaseUrl(t, 'postgresql')
  const database = await openDatabase(url)
  t.teardown(() => database.close())
  const clock = manualClock()
  const list = createRevocationList({ db: database.db, clock, pollMs: 1000, gapWaitMs: 16 * MINUTE })
  await list.start()
  t.teardown(() => list.stop())

  const expiresAt = new Date(clock.now() + 15 * MINUTE)
  const insert = 'INSERT INTO revocations (session_id, expires_at, created_at) VALUES ($1, $2, now()) RETURNING id'
  const slow = new pg.Client({ connectionString: url })
  const fast = new pg.Client({ connectionString: url })
  await slow.connect()
  await fast.connect()
  t.teardown(async () => { await slow.end(); await fast.end() })

  // The slow transaction takes its id first and commits last.
  await slow.query('BEGIN')
  const early = (await slow.query(insert, ['early', expiresAt])).rows[0].id as number
  const late = (await fast.query(insert, ['late', expiresAt])).rows[0].id as number
  t.ok(early < late, `ids ${early} and ${late} were taken in that order`)
  await list.poll()
  t.ok(list.isRevoked('late'), 'the committed revocation is learned')
  t.notOk(list.isRevoked('early'), 'the other is not visible yet')
  t.equal(list.skippedIds, 1, 'its id is remembered as skipped')

  await slow.query('COMMIT')
  await list.poll()
  t.ok(list.isRevoked('early'), 'once it commits, the next poll learns it')
  t.equal(list.skippedIds, 0)

  // A rolled-back id is asked for until no row with it could matter, then forgotten.
  await slow.query('BEGIN')
  await slow.query(insert, ['never', expiresAt])
  await slow.query('ROLLBACK')
  await fast.query(insert, ['after', expiresAt])
  await list.poll()
  t.equal(list.skippedIds, 1)
  clock.advance(16 * 60 + 1)
  await list.poll()
  t.equal(list.skippedIds, 0, 'forgotten once any revocation with that id would have expired')
  t.notOk(list.isRevoked('never'))
})

eachProvider('the first load reads every unexpired revocation, however many', async (t, provider) => {
  const database = await openDatabase(await freshDatabaseUrl(t, provider))
  t.teardown(() => database.close())
  const clock = manualClock()
  const live = new Date(clock.now() + 10 * MINUTE)
  const expired = new Date(clock.now() - MINUTE)
  const rows = Array.from({ length: 12_345 }, (_, i) => ({ sessionId: `s-${i}`, expiresAt: i % 5 === 0 ? expired : live, createdAt: new Date(clock.now()) }))
  for (let i = 0; i < rows.length; i += 1000) await database.db.insertInto('revocations').values(rows.slice(i, i + 1000)).execute()
  const list = createRevocationList({ db: database.db, clock, pollMs: 1000, gapWaitMs: 16 * MINUTE })
  await list.start()
  t.teardown(() => list.stop())
  const learned = rows.filter((_, i) => list.isRevoked(`s-${i}`)).length
  t.equal(learned, rows.length - rows.length / 5, 'every unexpired one, none of the expired ones')
  t.ok(list.isRevoked('s-12344'), 'including the last')
  t.equal(list.skippedIds, 0, 'expired rows are not taken for ids of transactions still open')
})

eachProvider('sessions ended at once through two instances are refused on both within a second', async (t, provider) => {
  const { app: first, config } = await buildTestApp(t, provider, { env: { REVOCATION_POLL_MS: '200' } })
  const second = await buildApp(testConfig(config.DATABASE_URL, { JWT_SECRET: config.JWT_SECRET as string, REVOCATION_POLL_MS: '200' }), { announce: () => {} })
  t.teardown(() => second.close())
  await second.ready()

  const users = await Promise.all(Array.from({ length: 6 }, (_, i) => createUser(first, { email: `u${i}@example.com`, password: `password-${i}-long`, username: `u${i}` })))
  const sessions = []
  for (const [i, user] of users.entries()) {
    for (let n = 0; n < 5; n++) sessions.push({ user, i, ...(await login(i % 2 === 0 ? first : second, user.email, `password-${i}-long`)) })
  }
  const verify = (app: typeof first, token: string) => app.inject({ url: '/auth/verify', headers: { authorization: `Bearer ${token}` } })
  for (const s of sessions) t.equal((await verify(second, s.accessToken)).statusCode, 200)

  // Every session ended at the same moment, half through each instance, by logout and logout-all alike.
  const answers = await Promise.all(sessions.map((s, n) => {
    const via = n % 2 === 0 ? first : second
    return n % 3 === 0
      ? via.inject({ method: 'POST', url: '/auth/logout-all', headers: { authorization: `Bearer ${s.accessToken}` } })
      : via.inject({ method: 'POST', url: '/auth/logout', payload: { refreshToken: s.refreshToken } })
  }))
  t.same(answers.map(a => a.statusCode).filter(s => s !== 200 && s !== 401), [], 'every request answered (a logout-all whose session another one ended first: 401)')
  await sleep(1000)
  const accepted = []
  for (const s of sessions) {
    for (const [name, app] of [['first', first], ['second', second]] as const) {
      if ((await verify(app, s.accessToken)).statusCode !== 401) accepted.push(`${s.user.email} on ${name}`)
    }
  }
  t.same(accepted, [], `all ${sessions.length} sessions refused by both instances`)
})

eachProvider('each ended session is forgotten at the first poll after its revocation expires, not before', async (t, provider) => {
  const database = await openDatabase(await freshDatabaseUrl(t, provider))
  t.teardown(() => database.close())
  const clock = manualClock()
  const list = createRevocationList({ db: database.db, clock, pollMs: 3_600_000, gapWaitMs: 16 * MINUTE })
  await list.start()
  t.teardown(() => list.stop())
  const at = (minutes: number) => new Date(clock.now() + minutes * MINUTE)

  list.add(Array.from({ length: 1000 }, (_, i) => `late-${i}`), at(10))
  list.add(['early'], at(5))
  clock.advance(5 * 60 - 1)
  await list.poll()
  t.equal(list.size, 1001, 'nothing has expired yet')
  clock.advance(1)
  await list.poll()
  t.notOk(list.isRevoked('early'), 'the earliest goes at its time')
  t.equal(list.size, 1000, 'and only it')

  // Added after that sweep, expiring before everything it left.
  list.add(['earlier'], at(1))
  list.add(['late-0'], at(2)) // ended again: it keeps the later of its two times
  clock.advance(60)
  await list.poll()
  t.notOk(list.isRevoked('earlier'), 'an entry added later that expires sooner goes at its own time')
  t.ok(list.isRevoked('late-0'), 'an entry whose time was not lowered stays')
  t.equal(list.size, 1000)
  clock.advance(4 * 60 - 1)
  await list.poll()
  t.equal(list.size, 1000, 'the others stay until theirs')
  clock.advance(1)
  await list.poll()
  t.equal(list.size, 0, 'and then all go')
  t.notOk(list.isRevoked('late-999'))
})

// Refresh rotation with reuse detection, over HTTP on both providers.
import { sql } from 'kysely'
import { countRows, openTestDatabase } from '../support/database.js'
import { buildApp } from '../../src/app.js'
import { buildTestApp, eachProvider, login, manualClock, testConfig } from '../helper.js'

const refresh = (app: Awaited<ReturnType<typeof buildTestApp>>['app'], refreshToken: string) =>
  app.inject({ method: 'POST', url: '/auth/refresh-token', payload: { refreshToken } })

eachProvider('a retry within the reuse interval gets the same successor', async (t, provider) => {
  const clock = manualClock()
  const { app } = await buildTestApp(t, provider, { clock })
  const { refreshToken } = await login(app)
  const first = await refresh(app, refreshToken)
  t.equal(first.statusCode, 201)
  clock.advance(9)
  const retry = await refresh(app, refreshToken)
  t.equal(retry.statusCode, 201)
  t.equal(retry.json().refresh_token, first.json().refresh_token, 'the same successor, not a second one')
  const profile = await app.inject({ url: '/auth/profile', headers: { authorization: `Bearer ${retry.json().access_token}` } })
  t.equal(profile.statusCode, 200)
  const onward = await refresh(app, first.json().refresh_token)
  t.equal(onward.statusCode, 201, 'the successor rotates as usual')
})

eachProvider('reuse after the interval ends the whole family and is audited', async (t, provider) => {
  const clock = manualClock()
  const { app } = await buildTestApp(t, provider, { clock })
  const stolen = await login(app)
  const rotated = await refresh(app, stolen.refreshToken)
  const current = rotated.json() as { access_token: string, refresh_token: string }
  t.equal((await app.inject({ url: '/auth/profile', headers: { authorization: `Bearer ${current.access_token}` } })).statusCode, 200)
  clock.advance(61) // past REFRESH_REUSE_INTERVAL
  const replay = await refresh(app, stolen.refreshToken)
  t.equal(replay.statusCode, 401)
  t.match(replay.json().message, /reuse detected/)
  t.equal((await refresh(app, current.refresh_token)).statusCode, 401, 'the legitimate successor is ended too')
  const profile = await app.inject({ url: '/auth/profile', headers: { authorization: `Bearer ${current.access_token}` } })
  t.equal(profile.statusCode, 401, 'and so are the access tokens of the family')
  const admin = await login(app)
  const audit = await app.inject({ url: '/audit?type=token.reuse_detected', headers: { authorization: `Bearer ${admin.accessToken}` } })
  t.equal(audit.statusCode, 200)
  t.equal(audit.json().length, 1)
  t.match(audit.json()[0], { type: 'token.reuse_detected', sessionId: String, detail: { sessions: 1 } })
  const again = await refresh(app, stolen.refreshToken)
  t.equal(again.statusCode, 401, 'replaying once more changes nothing')
})

eachProvider('a token retired by logout is simply invalid, not a reuse', async (t, provider) => {
  const { app } = await buildTestApp(t, provider)
  const { refreshToken } = await login(app)
  await app.inject({ method: 'POST', url: '/auth/logout', payload: { refreshToken } })
  const res = await refresh(app, refreshToken)
  t.equal(res.statusCode, 401)
  t.equal(res.json().message, 'Invalid or expired refresh token')
})

eachProvider('100 concurrent refreshes of one token: one lineage, no errors, nothing double-spent', async (t, provider) => {
  const { app, databaseUrl } = await buildTestApp(t, provider)
  const { refreshToken } = await login(app)
  const answers = await Promise.all(Array.from({ length: 100 }, () => refresh(app, refreshToken)))
  const statuses = new Set(answers.map(a => a.statusCode))
  t.same([...statuses], [201], 'every request answered 201')
  const successors = new Set(answers.map(a => a.json().refresh_token))
  t.equal(successors.size, 1, 'all got the same successor')

  const db = await openTestDatabase(t, databaseUrl)
  const rows = await db.selectFrom('refreshTokens').selectAll().orderBy('createdAt').orderBy('parentId').execute()
  t.equal(rows.length, 2, 'the login token and exactly one successor')
  t.equal(rows.filter(r => r.retiredAt === null).length, 1, 'one live token')
  const first = rows.find(r => r.parentId === null)
  t.equal(rows.find(r => r.parentId !== null)?.parentId, first?.id)
  t.equal(await countRows(db, 'auditEvents', { type: 'token.refreshed' }), 1, 'one rotation recorded')

  const [successor] = successors as Set<string>
  const next = await Promise.all(Array.from({ length: 20 }, () => refresh(app, successor as string)))
  t.same([...new Set(next.map(a => a.statusCode))], [201])
  t.equal(new Set(next.map(a => a.json().refresh_token)).size, 1)
  t.equal(await countRows(db, 'refreshTokens'), 3)
  t.equal(await countRows(db, 'sessions'), 1, 'all in one session')
})

eachProvider('two instances, neither of which has rotated yet, share one lineage: the key successors derive from is made once, for the fleet', async (t, provider) => {
  const { app: first, config, databaseUrl } = await buildTestApp(t, provider)
  const second = await buildApp(testConfig(config.DATABASE_URL, { JWT_SECRET: config.JWT_SECRET as string }), { announce: () => {} })
  t.teardown(() => second.close())
  await second.ready()
  const { refreshToken } = await login(first)
  // Both ask for the key at once: each may make one, and only the first stored is used.
  const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => refresh(i % 2 === 0 ? first : second, refreshToken)))
  t.same([...new Set(answers.map(a => a.statusCode))], [201], 'every request answered 201, on either instance')
  t.equal(new Set(answers.map(a => a.json().refresh_token)).size, 1, 'all got the same successor')

  const db = await openTestDatabase(t, databaseUrl)
  t.equal(await countRows(db, 'gatewayKeys'), 1, 'one key')
  t.equal(await countRows(db, 'refreshTokens'), 2, 'the login token and exactly one successor')
  const { refresh_token: successor } = (answers[0] as { json: () => { refresh_token: string } }).json()
  const onward = await refresh(second, successor)
  t.equal(onward.statusCode, 201, 'the successor rotates on the other instance')
  t.equal((await refresh(first, successor)).json().refresh_token, onward.json().refresh_token, 'and its retry on the first gets the same answer')
})

eachProvider("a lineage's token ids are ordered by issue, so each new row's key goes to the end of the primary-key index", async (t, provider) => {
  const { app, databaseUrl } = await buildTestApp(t, provider)
  let { refreshToken } = await login(app)
  const issued = [refreshToken]
  for (let i = 0; i < 5; i++) {
    const res = await refresh(app, refreshToken)
    t.equal(res.statusCode, 201)
    refreshToken = res.json().refresh_token
    issued.push(refreshToken)
  }
  const db = await openTestDatabase(t, databaseUrl)
  const rows = await db.selectFrom('refreshTokens').select(['id', 'parentId']).execute()
  t.equal(rows.length, issued.length)
  // Walk the lineage from the login's token by parent links: the order of issue.
  const chain = [rows.find(r => r.parentId === null)]
  while (chain.length < rows.length) chain.push(rows.find(r => r.parentId === chain.at(-1)?.id))
  const ids = chain.map(r => r?.id as string)
  t.ok(ids.every(id => /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(id)), 'UUIDv7')
  // The first 48 bits are the milliseconds of issue; ids of one millisecond are in random order.
  const times = ids.map(id => id.slice(0, 13))
  t.same(times, [...times].sort(), "no id's time is before its parent's")
})

eachProvider('rotations under way at once share statements, each keeping the rules of its own session', async (t, provider) => {
  const { app, databaseUrl } = await buildTestApp(t, provider)
  const live = await Promise.all(Array.from({ length: 10 }, async () => (await login(app)).refreshToken))
  const loggedOut = (await login(app)).refreshToken
  await app.inject({ method: 'POST', url: '/auth/logout', payload: { refreshToken: loggedOut } })
  const twice = live[0] as string
  const presented = [...live, twice, loggedOut, 'x'.repeat(43)]
  const answers = await Promise.all(presented.map(token => refresh(app, token)))

  t.same(answers.slice(0, 11).map(a => a.statusCode), Array(11).fill(201), 'every live token rotated, the one presented twice both times')
  t.equal(new Set(answers.slice(0, 10).map(a => a.json().refresh_token)).size, 10, 'each session its own successor')
  t.equal(answers[10]?.json().refresh_token, answers[0]?.json().refresh_token, 'the token presented twice: one successor for both')
  t.same(answers.slice(11).map(a => a.statusCode), [401, 401], 'the logged-out token and an unknown one are refused, and refuse no one else')

  const db = await openTestDatabase(t, databaseUrl)
  const tokens = await db.selectFrom('refreshTokens as t').innerJoin('sessions as s', 's.id', 't.sessionId')
    .select(['t.sessionId', 't.parentId', 't.retiredAt', 't.expiresAt', 's.expiresAt as sessionEnd', 's.endedAt']).execute()
  const successors = tokens.filter(r => r.parentId !== null)
  t.equal(successors.length, 10, 'one successor for each live session, none for the others')
  t.equal(new Set(successors.map(r => r.sessionId)).size, 10)
  t.ok(successors.every(r => new Date(r.expiresAt).getTime() <= new Date(r.sessionEnd).getTime()), 'no successor outlives its session')
  t.equal(tokens.filter(r => r.retiredAt === null && r.endedAt === null).length, 10, 'each live session has exactly one live token')
  t.equal(await countRows(db, 'auditEvents', { type: 'token.refreshed' }), 10, 'one event for each rotation')
  if (provider === 'postgresql') {
    // Rows a transaction writes carry its id: fewer ids than successors means statements written for several rotations.
    const { rows } = await sql<{ statements: string }>`select count(distinct xmin::text) as statements from refresh_tokens where parent_id is not null`.execute(db)
    t.ok(Number(rows[0]?.statements) < 10, `10 successors written by ${rows[0]?.statements} statements`)
  }
})

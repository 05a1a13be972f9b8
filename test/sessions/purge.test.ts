// The purge keeps the tables to what is live plus the retention windows
// (sessions-purge.ts, audit-retention.ts, storage/purge.ts): a simulated
// year of logins, rotations and logouts on both providers, with the clock
// moved a day at a time and a purge after each day.
import { randomUUID } from 'node:crypto'
import Fastify from 'fastify'
import { CompiledQuery } from 'kysely'
import type { Test } from 'tap'
import { auditPurgeStatement, auditPurgeSteps } from '../../src/audit/audit-retention.js'
import { loadConfig } from '../../src/config.js'
import { registerAccessTokens } from '../../src/http/access-tokens.js'
import { createPurgeJob, sessionSettings } from '../../src/services.js'
import { createRevocationList } from '../../src/sessions/revocation-list.js'
import { sessionsPurgeStatements, sessionsPurgeSteps } from '../../src/sessions/sessions-purge.js'
import { createSessions } from '../../src/sessions/sessions-service.js'
import { createSessionsStore, type SessionUser } from '../../src/sessions/sessions-store.js'
import { openDatabase, type Database } from '../../src/storage/database.js'
import { createPurge } from '../../src/storage/purge.js'
import { resolveKeys } from '../../src/tokens/keys.js'
import { eachProvider, freshDatabaseUrl, manualClock, type TestProvider } from '../helper.js'
import { countRows } from '../support/database.js'

const DAY = 86_400_000
const CLIENT = { ip: '192.0.2.1', userAgent: 'purge-test' }
const SETTINGS = { REFRESH_TOKEN_TTL: String(7 * 86_400), SESSION_MAX_AGE: String(30 * 86_400), AUDIT_RETENTION_DAYS: '90' }

async function setup (t: Test, provider: TestProvider, env: Record<string, string> = SETTINGS) {
  const url = await freshDatabaseUrl(t, provider)
  const database = await openDatabase(url)
  t.teardown(() => database.close())
  const config = loadConfig({ DATABASE_URL: url, ...env })
  const clock = manualClock(Date.UTC(2026, 0, 1))
  const revocations = createRevocationList({ db: database.db, clock, pollMs: 60_000, gapWaitMs: 60_000 })
  const settings = sessionSettings(config)
  const edge = await registerAccessTokens(Fastify(), {
    keys: resolveKeys({ algorithm: 'HS256', secret: 'purge-test-secret-purge-test-secret-0123456789', dataDir: '/nonexistent' }).keys,
    rules: settings.access,
    clock,
    isRevoked: revocations.isRevoked
  })
  const sessions = createSessions({ store: createSessionsStore(database), revocations, signAccessToken: edge.sign, clock, settings })
  const purged: Record<string, number> = {}
  const purge = createPurgeJob(config, database, { clock, onPurged: (table, rows) => { purged[table] = (purged[table] ?? 0) + rows } })
  const addUser = async (name: string): Promise<SessionUser> => {
    const now = new Date(clock.now())
    const { id } = await database.db.insertInto('users')
      .values({ email: `${name}@example.com`, username: name, passwordHash: 'not-a-hash', createdAt: now, updatedAt: now })
      .returning('id').executeTakeFirstOrThrow()
    return { id, username: name, email: `${name}@example.com`, role: 'customer', tenantId: null, disabled: false }
  }
  return { url, database, config, clock, sessions, purge, purged, addUser }
}

/** What the test did, to say what the tables must hold. */
interface ModelSession { id: string, userId: number, expiresAt: number, endedAt?: number, tokens: number, gone?: boolean }

eachProvider('a year of logins and rotations: the tables hold what is live plus the retention windows', async (t, provider) => {
  const { database, config, clock, sessions, purge, purged, addUser } = await setup(t, provider)
  const db = database.db
  const keepMs = config.REFRESH_TOKEN_TTL * 1000
  const auditMs = config.AUDIT_RETENTION_DAYS * DAY
  const revokeMs = (config.ACCESS_TOKEN_TTL + config.JWT_CLOCK_TOLERANCE) * 1000
  const model = { sessions: [] as ModelSession[], audit: [] as number[], revocations: [] as number[] }
  const created = { tokens: 0, audit: 0 }
  const audited = () => { model.audit.push(clock.now()); created.audit++ }
  const ended = (sessionIds: string[]) => {
    for (const s of model.sessions) {
      if (sessionIds.includes(s.id) && s.endedAt === undefined) {
        s.endedAt = clock.now()
        model.revocations.push(clock.now() + revokeMs)
      }
    }
    audited()
  }

  const users = await Promise.all(['ann', 'bob', 'cy', 'dee'].map(addUser))
  /** Each user's rotating session: its id, its current token, its first token (retired since its first rotation). */
  const current = new Map<number, { session: ModelSession, token: string, first: string }>()

  async function login (user: SessionUser, policy: 'rotating' | 'reusable' | 'sliding') {
    const started = await sessions.start(user, policy, CLIENT, { type: 'login.succeeded', userId: user.id })
    const session: ModelSession = { id: started.sessionId, userId: user.id, expiresAt: clock.now() + config.SESSION_MAX_AGE * 1000, tokens: policy === 'sliding' ? 0 : 1 }
    model.sessions.push(session)
    created.tokens += session.tokens
    audited()
    return { session, token: started.refreshToken as string, first: started.refreshToken as string }
  }

  function expected (now: number) {
    const cutoff = now - keepMs
    const kept = model.sessions.filter(s => s.expiresAt > cutoff && (s.endedAt === undefined || s.endedAt > cutoff))
    for (const s of model.sessions) if (!kept.includes(s)) s.gone = true
    return {
      sessions: kept.length,
      refreshTokens: kept.reduce((sum, s) => sum + s.tokens, 0),
      revocations: model.revocations.filter(until => until > now).length,
      auditEvents: model.audit.filter(at => at >= now - auditMs).length
    }
  }

  async function actual () {
    return {
      sessions: await countRows(db, 'sessions'),
      refreshTokens: await countRows(db, 'refreshTokens'),
      revocations: await countRows(db, 'revocations'),
      auditEvents: await countRows(db, 'auditEvents')
    }
  }

  let mismatches = 0
  let peakTokens = 0
  for (let day = 0; day < 365; day++) {
    for (const [i, user] of users.entries()) {
      let mine = current.get(user.id)
      // Past its absolute end (30 days), or logged out: log in again.
      if (mine === undefined || mine.session.endedAt !== undefined || mine.session.expiresAt <= clock.now()) {
        mine = await login(user, 'rotating')
        current.set(user.id, mine)
      }
      // Two rotations a day, an hour apart.
      for (let r = 0; r < 2; r++) {
        const next = await sessions.rotate(mine.token, CLIENT)
        mine.token = next.refreshToken
        mine.session.tokens++
        created.tokens++
        audited()
        clock.advance(3600)
      }
      clock.advance(-7200)
      // ann logs out every 10 days, cy everywhere every 45; bob also has a reusable GraphQL session a week; dee a header-token one a month.
      if (i === 0 && day % 10 === 9) {
        await sessions.endByRefreshToken(mine.token, CLIENT)
        ended([mine.session.id])
      }
      if (i === 1 && day % 7 === 0) await login(user, 'reusable')
      if (i === 2 && day % 45 === 44) {
        // Every session of cy's not ended and not purged yet, expired ones included, is marked ended (and revoked).
        const notEnded = model.sessions.filter(s => s.userId === user.id && s.endedAt === undefined && s.gone !== true).map(s => s.id)
        t.equal(await sessions.endAll(user.id, { client: CLIENT }), notEnded.length, `day ${day}: cy's logout everywhere ends ${notEnded.length}`)
        ended(notEnded)
      }
      if (i === 3 && day % 30 === 0) await login(user, 'sliding')
    }
    await purge.run()
    const want = expected(clock.now())
    const have = await actual()
    if (JSON.stringify(want) !== JSON.stringify(have)) {
      if (mismatches++ < 3) t.same(have, want, `day ${day}: the rows left are the live ones plus the retention windows`)
    }
    peakTokens = Math.max(peakTokens, have.refreshTokens)
    clock.advance(86_400)
  }
  t.equal(mismatches, 0, 'after every one of 365 daily purges, each table held exactly what it should')

  await purge.run()
  const left = await actual()
  t.same(left, expected(clock.now()), 'at the end of the year')
  t.ok(created.tokens > 2900 && left.refreshTokens < created.tokens / 5, `${created.tokens} refresh tokens issued in the year, ${left.refreshTokens} left`)
  t.ok(created.audit > 3000 && left.auditEvents <= created.audit / 3, `${created.audit} audit events recorded, ${left.auditEvents} left (90 days)`)
  // Four users, two rotations a day, 30-day sessions kept 7 days past their end, bob's weekly GraphQL sessions: bounded, whatever the year's length.
  t.ok(peakTokens <= 4 * (30 + 7 + 1) * 2 + 4 * 2 + 6, `at most ${peakTokens} refresh tokens at any time`)
  t.same(purged, {
    refresh_tokens: created.tokens - left.refreshTokens,
    sessions: model.sessions.length - left.sessions,
    revocations: model.revocations.length - left.revocations,
    audit_events: created.audit - left.auditEvents
  }, 'onPurged counted every row deleted, by table')

  // Reuse detection still works on a live session after all these purges:
  // its first token, retired and past its own expiry, ends it.
  const bob = users[1] as SessionUser
  const live = current.get(bob.id)
  if (live === undefined) throw new Error('bob has a session')
  clock.advance(5 * 86_400)
  const next = await sessions.rotate(live.token, CLIENT)
  await purge.run()
  await t.rejects(sessions.rotate(live.first, CLIENT), { code: 'INVALID_REFRESH_TOKEN', message: /reuse detected/ }, 'its first token, retired 10 days ago and expired 3 days ago, still ends the session')
  await t.rejects(sessions.rotate(next.refreshToken, CLIENT), { code: 'INVALID_REFRESH_TOKEN' }, 'whose current token is refused')
  t.equal(sessions.isRevoked(live.session.id), true, 'and whose access tokens are refused')
})

/** Rows nothing needs any more, as a year of traffic would leave them, written straight into the tables. */
async function seedSpentRows (db: Database['db'], now: number, count: number) {
  const old = new Date(now - 400 * DAY)
  const { id: userId } = await db.insertInto('users')
    .values({ email: 'old@example.com', username: 'old', passwordHash: 'not-a-hash', createdAt: old, updatedAt: old })
    .returning('id').executeTakeFirstOrThrow()
  const sessionIds = Array.from({ length: Math.ceil(count / 10) }, () => randomUUID())
  for (let i = 0; i < sessionIds.length; i += 500) {
    await db.insertInto('sessions').values(sessionIds.slice(i, i + 500).map(id => ({
      id, userId, refreshPolicy: 'rotating', userAgent: null, ip: null, createdAt: old, lastUsedAt: old, expiresAt: new Date(now - 300 * DAY), endedAt: null
    }))).execute()
  }
  const rows = Array.from({ length: count }, (_, i) => i)
  for (let i = 0; i < count; i += 500) {
    const batch = rows.slice(i, i + 500)
    await db.insertInto('refreshTokens').values(batch.map(n => ({
      id: randomUUID(), sessionId: sessionIds[n % sessionIds.length] as string, tokenHash: randomUUID(), parentId: null,
      createdAt: old, expiresAt: old, retiredAt: old
    }))).execute()
    await db.insertInto('revocations').values(batch.map(n => ({ sessionId: `s${n}`, expiresAt: old, createdAt: old }))).execute()
    await db.insertInto('auditEvents').values(batch.map(() => ({ type: 'token.refreshed', userId, detail: '{}', createdAt: old }))).execute()
  }
  return { sessions: sessionIds.length }
}

eachProvider('a batch deletes at most the batch size; two purges at once both finish, and a third finds nothing', async (t, provider) => {
  const { url, database, config, clock, sessions, addUser } = await setup(t, provider)
  const db = database.db
  const user = await addUser('live')
  const live = await sessions.start(user, 'rotating', CLIENT, { type: 'login.succeeded', userId: user.id })
  await sessions.rotate(live.refreshToken as string, CLIENT)
  const seeded = await seedSpentRows(db, clock.now(), 2500)

  // One batch of each statement, bounded at 300 rows.
  const statements = sessionsPurgeStatements(db, provider)
  const cutoff = new Date(clock.now() - config.REFRESH_TOKEN_TTL * 1000)
  const deleted = async (statement: { executeTakeFirst (): Promise<{ numDeletedRows: bigint }> }) => Number((await statement.executeTakeFirst()).numDeletedRows)
  t.equal(await deleted(statements.refreshTokens(cutoff, 300)), 300, 'one batch: 300 tokens')
  t.equal(await countRows(db, 'refreshTokens'), 2500 - 300 + 2)
  t.equal(await deleted(statements.revocations(new Date(clock.now()), 300)), 300, 'one batch: 300 revocations')
  t.equal(await deleted(auditPurgeStatement(db, provider)(new Date(clock.now() - 90 * DAY), 300)), 300, 'one batch: 300 audit events')
  // Sessions go once their tokens are gone (here those whose ten tokens were all in the batch, if any), so deleting one never cascades.
  const emptied = await deleted(statements.sessions(cutoff, 300))
  t.ok(emptied <= 30, `${emptied} sessions without tokens deleted`)
  t.equal(await countRows(db, 'refreshTokens'), 2500 - 300 + 2, 'and not one token with them')

  // Two instances on the same database, each with its own connection, purging at the same time in batches of 200.
  const other = await openDatabase(url)
  t.teardown(() => other.close())
  const batches: Array<[string, number]> = []
  const purgeOf = ({ db, provider }: Database) => createPurge({
    steps: [
      ...sessionsPurgeSteps({ db, provider, clock, keepSeconds: config.REFRESH_TOKEN_TTL }),
      ...auditPurgeSteps({ db, provider, clock, retentionDays: config.AUDIT_RETENTION_DAYS })
    ],
    intervalMs: 60_000,
    batchSize: 200,
    pauseMs: 0,
    onPurged: (table, rows) => { batches.push([table, rows]) }
  })
  const [a, b] = await Promise.all([purgeOf(database).run(), purgeOf(other).run()])
  t.ok(batches.length >= 2200 * 3 / 200, `${batches.length} batches`)
  t.ok(batches.every(([, rows]) => rows <= 200), 'none deleted more than 200 rows')
  const total = (table: string) => (a[table] ?? 0) + (b[table] ?? 0)
  t.equal(total('refresh_tokens'), 2200, 'every spent token deleted once between the two')
  t.equal(total('sessions'), seeded.sessions - emptied)
  t.equal(total('revocations'), 2200)
  t.equal(total('audit_events'), 2200)
  t.same(await purgeOf(database).run(), { refresh_tokens: 0, sessions: 0, revocations: 0, audit_events: 0 }, 'run again: nothing left to delete')
  t.equal(await countRows(db, 'sessions'), 1, 'the live session stays')
  t.equal(await countRows(db, 'refreshTokens'), 2, 'with its retired and its current token')
  t.equal(await countRows(db, 'auditEvents'), 2, 'and the events of its login and rotation')
})

eachProvider('every purge statement finds its rows through an index', async (t, provider) => {
  const { database, clock } = await setup(t, provider)
  const { db } = database
  const at = new Date(clock.now())
  const statements = sessionsPurgeStatements(db, provider)
  const all = {
    refresh_tokens: statements.refreshTokens(at, 1000),
    sessions: statements.sessions(at, 1000),
    revocations: statements.revocations(at, 1000),
    audit_events: auditPurgeStatement(db, provider)(at, 1000)
  }
  for (const [name, statement] of Object.entries(all)) {
    const { sql, parameters } = statement.compile()
    if (provider === 'sqlite') {
      // SCAN is a pass over a whole table or index; SEARCH goes through an index to the rows it needs.
      const plan = (await db.executeQuery<{ detail: string }>(CompiledQuery.raw(`EXPLAIN QUERY PLAN ${sql}`, [...parameters]))).rows.map(r => r.detail)
      t.notOk(plan.some(step => step.startsWith('SCAN')), `${name}: ${plan.filter(s => /^(SCAN|SEARCH)/.test(s)).join('; ')}`)
    } else {
      // With sequential scans priced out, a plan still holding one has no index to use.
      const plan = await db.connection().execute(async (connection) => {
        await connection.executeQuery(CompiledQuery.raw('SET enable_seqscan = off'))
        const rows = (await connection.executeQuery<{ 'QUERY PLAN': string }>(CompiledQuery.raw(`EXPLAIN ${sql}`, [...parameters]))).rows
        await connection.executeQuery(CompiledQuery.raw('RESET enable_seqscan'))
        return rows.map(r => r['QUERY PLAN'])
      })
      t.notOk(plan.some(line => line.includes('Seq Scan')), `${name}: ${plan.filter(l => /Scan/.test(l)).map(l => l.trim()).join('; ')}`)
    }
  }
})

eachProvider('AUDIT_RETENTION_DAYS=0 keeps every audit event', async (t, provider) => {
  const { database, config, clock } = await setup(t, provider, { ...SETTINGS, AUDIT_RETENTION_DAYS: '0' })
  await seedSpentRows(database.db, clock.now(), 100)
  const purged = await createPurgeJob(config, database, { clock }).run()
  t.same(purged, { refresh_tokens: 100, sessions: 10, revocations: 100 }, 'the rest is purged as ever')
  t.equal(await countRows(database.db, 'auditEvents'), 100, 'events 400 days old are all there')
})

// The sessions service on its own: no HTTP, a clock the test moves, the real
// database of each provider, and access tokens signed and read back by the
// gateway's own edge.
import Fastify from 'fastify'
import type { Test } from 'tap'
import { createRevocationList } from '../../src/sessions/revocation-list.js'
import { createSessions, type RefreshPolicy, type SessionSettings } from '../../src/sessions/sessions-service.js'
import { createSessionsStore, type SessionUser } from '../../src/sessions/sessions-store.js'
import { registerAccessTokens } from '../../src/http/access-tokens.js'
import { openDatabase } from '../../src/storage/database.js'
import { resolveKeys } from '../../src/tokens/keys.js'
import { eachProvider, freshDatabaseUrl, manualClock } from '../helper.js'
import { countRows } from '../support/database.js'

const SETTINGS: SessionSettings = {
  access: { issuer: 'authgate', audience: 'authgate', ttlSeconds: 900, clockToleranceSeconds: 5 },
  refreshTtlSeconds: 7 * 86_400,
  reuseIntervalSeconds: 60,
  maxAgeSeconds: 30 * 86_400,
  idleTimeoutSeconds: undefined
}
const CLIENT = { ip: '192.0.2.1', userAgent: 'unit-test' }

async function setup (t: Test, provider: 'sqlite' | 'postgresql', settings: Partial<SessionSettings> = {}) {
  const database = await openDatabase(await freshDatabaseUrl(t, provider))
  t.teardown(() => database.close())
  const clock = manualClock(Date.UTC(2026, 10, 30, 12))
  const revocations = createRevocationList({ db: database.db, clock, pollMs: 60_000, gapWaitMs: 60_000 })
  const edge = await registerAccessTokens(Fastify(), {
    keys: resolveKeys({ algorithm: 'HS256', secret: 'unit-test-secret-unit-test-secret-0123456789', dataDir: '/nonexistent' }).keys,
    rules: SETTINGS.access,
    clock,
    isRevoked: revocations.isRevoked
  })
  const events: string[] = []
  const sessions = createSessions({
    store: createSessionsStore(database),
    revocations,
    signAccessToken: edge.sign,
    clock,
    settings: { ...SETTINGS, ...settings },
    onEvent: (event) => { events.push(event) }
  })
  const now = new Date(clock.now())
  const { id } = await database.db.insertInto('users')
    .values({ email: 'ada@example.com', username: 'ada', passwordHash: 'not-a-hash', createdAt: now, updatedAt: now })
    .returning('id').executeTakeFirstOrThrow()
  const user: SessionUser = { id, username: 'ada', email: 'ada@example.com', role: 'customer', tenantId: null, disabled: false }
  const start = (policy: RefreshPolicy) => sessions.start(user, policy, CLIENT, { type: 'login.succeeded', userId: id })
  return { database, clock, sessions, edge, user, events, start }
}

eachProvider('start: a session, its first refresh token (none when sliding), and the login recorded with it', async (t, provider) => {
  const { database, sessions, edge, start, clock, user } = await setup(t, provider)
  const rotating = await start('rotating')
  t.type(rotating.refreshToken, 'string')
  const principal = edge.verify(rotating.accessToken)
  t.equal(principal.userId, user.id)
  t.equal(principal.sessionId, rotating.sessionId)
  t.equal(principal.claims.auth_time, clock.now() / 1000)
  t.equal(rotating.expiresIn, 900)
  const sliding = await start('sliding')
  t.equal(sliding.refreshToken, undefined, 'a sliding session has no refresh token')
  t.equal(await countRows(database.db, 'refreshTokens'), 1)
  t.equal(await countRows(database.db, 'auditEvents', { type: 'login.succeeded', sessionId: rotating.sessionId }), 1, 'the login names its session')
  t.same((await sessions.list(user.id)).map(s => s.id).sort(), [rotating.sessionId, sliding.sessionId].sort())
})

eachProvider('rotate: a retired token whose successor is unused gets that successor for the reuse interval; later, the session ends', async (t, provider) => {
  const { sessions, start, clock, events, edge, user } = await setup(t, provider)
  const { refreshToken } = await start('rotating')
  clock.advance(60)
  const next = await sessions.rotate(refreshToken as string, CLIENT)
  t.not(next.refreshToken, refreshToken)
  clock.advance(59)
  const retry = await sessions.rotate(refreshToken as string, CLIENT)
  t.equal(retry.refreshToken, next.refreshToken, 'a retry 59 s later (the answer was lost): the same successor')
  t.not(retry.accessToken, next.accessToken, 'with an access token of its own')
  t.equal(edge.verify(retry.accessToken).sessionId, edge.verify(next.accessToken).sessionId, 'of the same session')
  clock.advance(2)
  await t.rejects(sessions.rotate(refreshToken as string, CLIENT), { code: 'INVALID_REFRESH_TOKEN', message: /reuse detected/ }, '61 s later, successor still unused: reuse')
  await t.rejects(sessions.rotate(next.refreshToken, CLIENT), { code: 'INVALID_REFRESH_TOKEN' }, 'which ended the session')
  t.throws(() => edge.verify(next.accessToken), { message: 'Session ended' }, 'and its access tokens')
  t.same(events.filter(e => e !== 'token.refreshed'), ['token.reuse_detected'])
  t.same(await sessions.list(user.id), [])
})

eachProvider('rotate: once the successor has been used, a retired token is reuse at once', async (t, provider) => {
  const { sessions, start, clock, events, user } = await setup(t, provider)
  for (const surface of ['rotate', 'refresh'] as const) {
    const { refreshToken } = await start('rotating')
    const next = await sessions.rotate(refreshToken as string, CLIENT)
    const after = await sessions.rotate(next.refreshToken, CLIENT)
    clock.advance(1)
    const present = (token: string): Promise<unknown> => surface === 'rotate' ? sessions.rotate(token, CLIENT) : sessions.refresh(token, CLIENT)
    await t.rejects(present(refreshToken as string), { code: 'INVALID_REFRESH_TOKEN', message: /reuse detected/ }, `${surface}: 1 s later, its successor already rotated: reuse`)
    await t.rejects(sessions.rotate(after.refreshToken, CLIENT), { code: 'INVALID_REFRESH_TOKEN' }, `${surface}: the chain's current token is ended too`)
  }
  t.same(events.filter(e => e !== 'token.refreshed'), ['token.reuse_detected', 'token.reuse_detected'])
  t.same(await sessions.list(user.id), [])
})

eachProvider('rotate: a thief answered as a retry shares the client\'s chain, and a rotation the other misses by the interval is reuse', async (t, provider) => {
  const { sessions, start, clock, user } = await setup(t, provider)
  const THIEF = { ip: '203.0.113.9', userAgent: 'elsewhere' }
  const { refreshToken } = await start('rotating')
  const client = await sessions.rotate(refreshToken as string, CLIENT)
  clock.advance(5)
  const thief = await sessions.rotate(refreshToken as string, THIEF)
  t.equal(thief.refreshToken, client.refreshToken, 'the thief gets nothing the client does not hold')
  await sessions.rotate(thief.refreshToken, THIEF)
  // The client refreshes when its access token runs out, long after the thief's rotation.
  clock.advance(900)
  await t.rejects(sessions.rotate(client.refreshToken, CLIENT), { code: 'INVALID_REFRESH_TOKEN', message: /reuse detected/ }, "the client's next refresh is reuse")
  t.same(await sessions.list(user.id), [], 'and the session is over for both')
})

eachProvider('refresh: reusable sessions keep their token and are marked used; rotating ones are sent to REST', async (t, provider) => {
  const { sessions, start, clock, user } = await setup(t, provider)
  const reusable = await start('reusable')
  clock.advance(300)
  const first = await sessions.refresh(reusable.refreshToken as string, CLIENT)
  clock.advance(300)
  const second = await sessions.refresh(reusable.refreshToken as string, CLIENT)
  t.not(first.accessToken, second.accessToken, 'the same refresh token, twice')
  t.equal(second.user.id, user.id)
  const [listed] = await sessions.list(user.id)
  t.equal(listed?.lastUsedAt.getTime(), clock.now(), 'its last use is the latest refresh')

  const rotating = await start('rotating')
  await t.rejects(sessions.refresh(rotating.refreshToken as string, CLIENT), { code: 'WRONG_REFRESH_ENDPOINT', message: /POST \/auth\/refresh-token/ })
  await t.rejects(sessions.rotate(reusable.refreshToken as string, CLIENT), { code: 'WRONG_REFRESH_ENDPOINT', message: /does not rotate/ })
})

eachProvider('the absolute end and the idle timeout bound every path', async (t, provider) => {
  const { sessions, start, clock, user } = await setup(t, provider, { maxAgeSeconds: 3600, idleTimeoutSeconds: 1200 })
  const rotating = await start('rotating')
  const reusable = await start('reusable')
  const sliding = await start('sliding')
  const sub = String(user.id)
  let pair = { refreshToken: rotating.refreshToken as string }
  // Each used every 1000 s, within the idle timeout, for as long as they last.
  for (let i = 0; i < 3; i++) {
    clock.advance(1000)
    pair = await sessions.rotate(pair.refreshToken, CLIENT)
    t.ok((await sessions.refresh(reusable.refreshToken as string, CLIENT)).accessToken)
    t.not(await sessions.renew({ sid: sliding.sessionId, sub }), null)
  }
  clock.advance(601)
  await t.rejects(sessions.rotate(pair.refreshToken, CLIENT), { code: 'SESSION_EXPIRED', message: 'Session expired; log in again' }, 'past SESSION_MAX_AGE')
  await t.rejects(sessions.refresh(reusable.refreshToken as string, CLIENT), { code: 'SESSION_EXPIRED' })
  t.equal(await sessions.renew({ sid: sliding.sessionId, sub }), null)

  const idle = await start('reusable')
  clock.advance(1201)
  await t.rejects(sessions.refresh(idle.refreshToken as string, CLIENT), { code: 'SESSION_EXPIRED', message: /inactivity/ }, 'idle past SESSION_IDLE_TIMEOUT')
})

eachProvider('renew: only sliding sessions, never past their end', async (t, provider) => {
  const { sessions, start, clock, user, edge } = await setup(t, provider, { maxAgeSeconds: 1000 })
  const sub = String(user.id)
  const rotating = await start('rotating')
  t.equal(await sessions.renew({ sid: rotating.sessionId, sub }), null, 'a rotating session is never renewed')
  const sliding = await start('sliding')
  clock.advance(600)
  const renewed = await sessions.renew({ sid: sliding.sessionId, sub })
  t.equal(renewed?.expiresIn, 400, 'cut to what is left of the session')
  t.equal(edge.verify(renewed?.accessToken as string).claims.auth_time, Math.floor((clock.now() - 600_000) / 1000), 'the login time stays')
  t.equal(await sessions.renew({ sid: sliding.sessionId, sub: String(user.id + 1) }), null, 'not for another user')
  clock.advance(400)
  t.equal(await sessions.renew({ sid: sliding.sessionId, sub }), null, 'nothing at the end')
})

eachProvider('end: one, all but one, all; by refresh token; ended sessions refuse their access tokens at once', async (t, provider) => {
  const { sessions, start, edge, user } = await setup(t, provider)
  const [a, b, c, d] = [await start('rotating'), await start('reusable'), await start('sliding'), await start('rotating')]
  t.equal(await sessions.endByRefreshToken(a.refreshToken as string, CLIENT), 1)
  t.equal(await sessions.endByRefreshToken(a.refreshToken as string, CLIENT), 0, 'twice: nothing more')
  t.equal(await sessions.endByRefreshToken('x'.repeat(43), CLIENT), 0, 'unknown: nothing')
  t.throws(() => edge.verify(a.accessToken), { message: 'Session ended' })
  t.equal(await sessions.endOne(user.id, 'not-a-session-id'), false)
  t.equal(await sessions.endOne(user.id, b.sessionId, { actorId: user.id }), true)
  t.equal(await sessions.endAll(user.id, { exceptSessionId: d.sessionId, actorId: user.id }), 1, 'c, keeping d')
  t.same((await sessions.list(user.id)).map(s => s.id), [d.sessionId])
  t.equal(await sessions.endAll(user.id), 1)
  for (const s of [b, c, d]) t.throws(() => edge.verify(s.accessToken), { message: 'Session ended' })
})

eachProvider('end: each session ended gets a revocation as long as its access tokens, shared with the other instances; a live one never does', async (t, provider) => {
  const { database, sessions, start, user, clock } = await setup(t, provider)
  const [a, b, c, d] = [await start('rotating'), await start('reusable'), await start('sliding'), await start('rotating')]
  const revocationRows = async () => (await database.db.selectFrom('revocations').select(['sessionId', 'expiresAt', 'createdAt']).orderBy('id').execute())
    .map(r => ({ sessionId: r.sessionId, expiresAt: new Date(r.expiresAt).getTime(), createdAt: new Date(r.createdAt).getTime() }))
  const lasting = (SETTINGS.access.ttlSeconds + SETTINGS.access.clockToleranceSeconds) * 1000

  clock.advance(1)
  const first = clock.now()
  t.equal(await sessions.endOne(user.id, b.sessionId), true)
  clock.advance(1)
  const second = clock.now()
  t.equal(await sessions.endAll(user.id, { exceptSessionId: d.sessionId }), 2, 'a and c, keeping d')
  const rows = await revocationRows()
  t.same(rows.slice(0, 1), [{ sessionId: b.sessionId, expiresAt: first + lasting, createdAt: first }], 'the one ended')
  const bySession = (x: { sessionId: string }, y: { sessionId: string }) => x.sessionId.localeCompare(y.sessionId)
  t.same(rows.slice(1).sort(bySession),
    [a, c].map(s => ({ sessionId: s.sessionId, expiresAt: second + lasting, createdAt: second })).sort(bySession),
    'the two ended later, and nothing more for the one ended before')
  t.notOk(rows.some(r => r.sessionId === d.sessionId), 'the session kept is not revoked')

  // Another instance learns them from the table alone.
  const other = createRevocationList({ db: database.db, clock, pollMs: 60_000, gapWaitMs: 60_000 })
  await other.poll()
  t.same([a, b, c, d].map(s => other.isRevoked(s.sessionId)), [true, true, true, false])

  // Ended in the same millisecond as others of the user: those may get a second revocation of the same length, and still no live session gets one.
  const [e, f] = [await start('rotating'), await start('rotating')]
  t.equal(await sessions.endOne(user.id, e.sessionId), true)
  const latest = await revocationRows()
  const revoked = new Set(latest.map(r => r.sessionId))
  t.ok(revoked.has(e.sessionId), 'the one ended')
  t.notOk(revoked.has(f.sessionId) || revoked.has(d.sessionId), 'not the live ones')
  t.ok(latest.every(r => r.expiresAt - r.createdAt === lasting), 'every revocation as long as an access token lives')
})

// A session's life is bounded, whatever its clients do: SESSION_MAX_AGE from
// the login, SESSION_IDLE_TIMEOUT from the last refresh, on every refresh
// path, over HTTP on both providers, with an injected clock.
import { buildTestApp, eachProvider, login, manualClock, ADMIN } from '../helper.js'
import { bearer, graphql, graphqlLogin, jwtPayload, serviceAuth, serviceAuthLogin } from '../graphql/support/requests.js'

const HOUR = 3600
const REST_REFRESH = (app: Parameters<typeof graphql>[0], refreshToken: string) =>
  app.inject({ method: 'POST', url: '/auth/refresh-token', payload: { refreshToken } })
const GRAPHQL_REFRESH = 'mutation($r: String!) { refreshToken(refreshToken: $r) { accessToken expiresIn } }'
const SERVICE_REFRESH = 'query($t: String) { refresh(token: $t) { jwt } }'

interface Claims { exp: number, iat: number, auth_time: number, sid: string }
const claimsOf = (token: string) => jwtPayload(token) as unknown as Claims

eachProvider('a REST session rotated without pause still ends at SESSION_MAX_AGE, keeping its start', async (t, provider) => {
  const clock = manualClock()
  const { app } = await buildTestApp(t, provider, { clock, env: { SESSION_MAX_AGE: String(4 * HOUR), REFRESH_TOKEN_TTL: String(2 * HOUR) } })
  const start = Math.floor(clock.now() / 1000)
  let pair = await login(app)
  const sid = claimsOf(pair.accessToken).sid
  let rotations = 0
  // Try to make it live forever: refresh every 15 minutes, for twice the session's lifetime.
  for (let minutes = 15; minutes <= 8 * 60; minutes += 15) {
    clock.advance(15 * 60)
    const res = await REST_REFRESH(app, pair.refreshToken)
    if (res.statusCode !== 201) {
      t.ok(clock.now() / 1000 >= start + 4 * HOUR, `refused only once SESSION_MAX_AGE has passed (after ${minutes} minutes)`)
      t.equal(res.statusCode, 401)
      t.same(res.json(), { statusCode: 401, error: 'Unauthorized', message: 'Session expired; log in again' })
      break
    }
    rotations++
    pair = { accessToken: res.json().access_token, refreshToken: res.json().refresh_token }
    const claims = claimsOf(pair.accessToken)
    t.equal(claims.sid, sid, `rotation ${rotations} stays in the session`)
    t.equal(claims.auth_time, start, 'and keeps its login time')
    t.ok(claims.exp <= start + 4 * HOUR, 'its access token expires by the session\'s end')
  }
  t.equal(rotations, 15, 'every refresh within the lifetime was answered')
  t.equal((await app.inject({ url: '/auth/profile', headers: bearer(pair.accessToken) })).statusCode, 401, 'the last access token expired with the session')

  const sessions = await app.inject({ url: '/auth/sessions', headers: bearer((await login(app)).accessToken) })
  t.notOk(sessions.json().some((s: { id: string }) => s.id === sid), 'the ended session is no longer listed')
})

eachProvider('GraphQL sessions reach SESSION_MAX_AGE too, and both endpoints say to log in again', async (t, provider) => {
  const clock = manualClock()
  const { app } = await buildTestApp(t, provider, { clock, env: { SESSION_MAX_AGE: String(HOUR), REFRESH_TOKEN_TTL: String(24 * HOUR) } })
  const ns = await graphqlLogin(app, ADMIN.email, ADMIN.password)
  const ca = await serviceAuthLogin(app, ADMIN.email, ADMIN.password)
  clock.advance(HOUR - 60)
  const nearEnd = await graphql(app, GRAPHQL_REFRESH, { variables: { r: ns.refreshToken } })
  t.equal(nearEnd.statusCode, 200)
  t.equal(nearEnd.json().data.refreshToken.expiresIn, 60, 'the last access token lives only until the session\'s end')

  clock.advance(60)
  const late = await graphql(app, GRAPHQL_REFRESH, { variables: { r: ns.refreshToken } })
  t.equal(late.statusCode, 401)
  t.match(late.json(), { data: null, errors: [{ message: 'Session expired; log in again', extensions: { code: 'UNAUTHENTICATED' } }] })
  const caLate = await serviceAuth(app, SERVICE_REFRESH, { variables: { t: ca.refresh } })
  t.equal(caLate.statusCode, 401)
  t.match(caLate.json(), { ok: false, errors: [{ message: 'Session expired; log in again', extensions: { code: 'SESSION_EXPIRED' } }], data: { refresh: null } })
  t.notOk('expiredToken' in (caLate.json().errors[0] as object), 'not the expired-access-token answer, which would make clients refresh again')
})

eachProvider('SESSION_IDLE_TIMEOUT ends a session not refreshed for that long; each refresh, rotating or not, marks it used', async (t, provider) => {
  const clock = manualClock()
  const { app } = await buildTestApp(t, provider, { clock, env: { SESSION_IDLE_TIMEOUT: String(HOUR) } })
  const rest = await login(app)
  const ns = await graphqlLogin(app, ADMIN.email, ADMIN.password)
  const lastUse = async (sid: string) => {
    const res = await app.inject({ url: '/auth/sessions', headers: bearer((await login(app)).accessToken) })
    return res.json().find((s: { id: string }) => s.id === sid)?.lastUsedAt as string | undefined
  }

  clock.advance(HOUR - 1)
  const rotated = await REST_REFRESH(app, rest.refreshToken)
  t.equal(rotated.statusCode, 201, 'a REST refresh just within the idle timeout')
  t.equal(await lastUse(claimsOf(rest.accessToken).sid), new Date(clock.now()).toISOString(), 'marks the session used')
  const refreshed = await graphql(app, GRAPHQL_REFRESH, { variables: { r: ns.refreshToken } })
  t.equal(refreshed.statusCode, 200, 'a GraphQL refresh just within it')
  t.equal(await lastUse(claimsOf(ns.accessToken).sid), new Date(clock.now()).toISOString(), 'marks its session used too')

  clock.advance(HOUR - 1)
  t.equal((await graphql(app, GRAPHQL_REFRESH, { variables: { r: ns.refreshToken } })).statusCode, 200, 'used again in time: still live')
  clock.advance(HOUR)
  const idleRest = await REST_REFRESH(app, rotated.json().refresh_token)
  t.equal(idleRest.statusCode, 401)
  t.equal(idleRest.json().message, 'Session ended after a period of inactivity; log in again')
  const idleGraphQL = await graphql(app, GRAPHQL_REFRESH, { variables: { r: ns.refreshToken } })
  t.match(idleGraphQL.json().errors, [{ message: /inactivity; log in again/, extensions: { code: 'UNAUTHENTICATED' } }])
  t.equal(await lastUse(claimsOf(ns.accessToken).sid), undefined, 'an idle session is no longer listed')
})

eachProvider('a retired REST token shown to a GraphQL refresh after the reuse interval is reuse: the session ends', async (t, provider) => {
  const clock = manualClock()
  const { app } = await buildTestApp(t, provider, { clock })
  const admin = await login(app)
  for (const [surface, present] of [
    ['/graphql refreshToken', (token: string) => graphql(app, GRAPHQL_REFRESH, { variables: { r: token } })],
    ['/service/Auth refresh', (token: string) => serviceAuth(app, SERVICE_REFRESH, { variables: { t: token } })]
  ] as const) {
    const stolen = await login(app)
    const rotated = (await REST_REFRESH(app, stolen.refreshToken)).json()
    const early = await present(stolen.refreshToken)
    t.equal(early.statusCode, 401, `${surface}: within the interval, refused as the wrong endpoint`)
    t.match(JSON.stringify(early.json()), /POST \/auth\/refresh-token/)
    t.equal((await REST_REFRESH(app, rotated.refresh_token)).statusCode, 201, `${surface}: which ends nothing`)

    const next = await login(app)
    const successor = (await REST_REFRESH(app, next.refreshToken)).json()
    clock.advance(61) // past REFRESH_REUSE_INTERVAL
    const replay = await present(next.refreshToken)
    t.equal(replay.statusCode, 401, `${surface}: the retired token after the interval`)
    t.equal((await REST_REFRESH(app, successor.refresh_token)).statusCode, 401, `${surface}: ended the session`)
    t.equal((await app.inject({ url: '/auth/profile', headers: bearer(successor.access_token) })).statusCode, 401, `${surface}: and its access tokens`)
  }
  const audit = await app.inject({ url: '/audit?type=token.reuse_detected', headers: bearer(admin.accessToken) })
  t.equal(audit.json().length, 2, 'both recorded as reuse')
})

eachProvider('each endpoint refreshes only sessions of its own policy', async (t, provider) => {
  const { app } = await buildTestApp(t, provider)
  const rest = await login(app)
  const ns = await graphqlLogin(app, ADMIN.email, ADMIN.password)
  const ca = await serviceAuthLogin(app, ADMIN.email, ADMIN.password)
  for (const [from, token] of [['/graphql', ns.refreshToken], ['/service/Auth', ca.refresh]] as const) {
    const res = await REST_REFRESH(app, token)
    t.equal(res.statusCode, 401, `a ${from} session's token at REST`)
    t.equal(res.json().message, 'This refresh token does not rotate: exchange it with the /graphql refreshToken mutation or the /service/Auth refresh query')
  }
  const viaGraphQL = await graphql(app, GRAPHQL_REFRESH, { variables: { r: rest.refreshToken } })
  t.match(viaGraphQL.json().errors, [{ message: 'This session rotates its refresh tokens: exchange it at POST /auth/refresh-token', extensions: { code: 'UNAUTHENTICATED' } }])
  const viaServiceAuth = await serviceAuth(app, SERVICE_REFRESH, { variables: { t: rest.refreshToken } })
  t.match(viaServiceAuth.json().errors, [{ message: 'This session rotates its refresh tokens: exchange it at POST /auth/refresh-token', extensions: { code: 'WRONG_REFRESH_ENDPOINT' } }])
  t.equal((await REST_REFRESH(app, rest.refreshToken)).statusCode, 201, 'refusing it elsewhere did not spend the REST token')
  t.equal((await graphql(app, GRAPHQL_REFRESH, { variables: { r: ca.refresh } })).statusCode, 200, 'the GraphQL endpoints share the reusable policy')
})

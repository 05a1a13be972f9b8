// Per-client-IP rate limits: one budget shared by the REST API and both
// GraphQL endpoints, a smaller one for password checks, 429 with Retry-After
// in every surface's shape, X-Forwarded-For only through a trusted hop, and
// counters in Redis shared by several instances.
import t from 'tap'
import type { App } from '../../src/app.js'
import { ADMIN, buildTestApp, createUser, eachProvider, login, manualClock } from '../helper.js'
import { bearer, graphql, serviceAuth } from '../graphql/support/requests.js'
import { REDIS, testRedis } from '../support/redis-prefix.js'
import { testWith } from '../support/services.mjs'

const ME = '{ me { id } }'
const VALIDATE = '{ validate { id } }'

eachProvider('one budget per client IP across REST and both GraphQL endpoints, 429 in each shape', async (t, provider) => {
  const { app } = await buildTestApp(t, provider, { env: { RATE_LIMIT_MAX: '6', RATE_LIMIT_WINDOW: '60' } })
  // The fixture's own login is the first of the six.
  const { accessToken } = await login(app)
  const auth = { headers: bearer(accessToken) }
  const first = await app.inject({ url: '/auth/sessions', headers: bearer(accessToken) })
  t.equal(first.statusCode, 200)
  for (const header of ['x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset']) t.notOk(header in first.headers, `an answer within the budget has no ${header}`)
  t.equal((await graphql(app, ME, auth)).statusCode, 200)
  t.equal((await graphql(app, ME, auth)).statusCode, 200)
  t.equal((await serviceAuth(app, VALIDATE, auth)).statusCode, 200)
  t.equal((await serviceAuth(app, VALIDATE, auth)).statusCode, 200, 'the sixth request')

  const rest = await app.inject({ url: '/api/v1/auth/sessions', headers: bearer(accessToken) })
  t.equal(rest.statusCode, 429)
  t.match(rest.headers['retry-after'], /^[1-9]\d*$/)
  t.match(rest.headers, { 'x-ratelimit-limit': '6', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': /^[1-9]\d*$/ }, 'a refusal reports the budget')
  t.match(rest.json(), { statusCode: 429, error: 'Too Many Requests', message: /^Rate limit exceeded, retry in / })

  const ns = await graphql(app, ME, auth)
  t.equal(ns.statusCode, 429)
  t.match(ns.headers['retry-after'], /^[1-9]\d*$/)
  t.match(ns.json(), { data: null, errors: [{ message: /^Rate limit exceeded/, extensions: { code: 'RATE_LIMITED' } }] })

  const ca = await serviceAuth(app, VALIDATE, auth)
  t.equal(ca.statusCode, 429)
  t.match(ca.headers['retry-after'], /^[1-9]\d*$/)
  t.ok(ca.body.startsWith('{"ok":false,'))
  t.match(ca.json(), { ok: false, errors: [{ extensions: { code: 'RATE_LIMITED' } }], data: null })

  const login429 = await app.inject({ method: 'POST', url: '/auth/login', payload: { email: ADMIN.email, password: ADMIN.password } })
  t.equal(login429.statusCode, 429, 'logins too')

  const other = await app.inject({ url: '/auth/sessions', headers: bearer(accessToken), remoteAddress: '198.51.100.20' })
  t.equal(other.statusCode, 200, 'another client has its own budget')
  for (const url of ['/auth/profile', '/api/v1/auth/profile']) {
    const profile = await app.inject({ url, headers: bearer(accessToken) })
    t.equal(profile.statusCode, 200, `${url} is not counted: it is answered from memory`)
    t.notOk('x-ratelimit-limit' in profile.headers, `${url}: no budget headers`)
  }
  t.equal((await app.inject({ url: '/auth/profile', headers: bearer('not.a.token') })).statusCode, 401, 'and without a valid token it is refused all the same')
  const preflight = await app.inject({ method: 'OPTIONS', url: '/service/Auth', headers: { origin: 'https://collection.example', 'access-control-request-method': 'POST' } })
  t.equal(preflight.statusCode, 200, 'CORS preflights are not counted')
  t.equal((await app.inject({ url: '/health/live' })).statusCode, 200, 'probes are not limited')
  t.equal((await app.inject({ url: '/.well-known/jwks.json' })).statusCode, 200, 'nor the public keys')
})

eachProvider('password checks have their own smaller budget, shared by every surface', async (t, provider) => {
  const { app } = await buildTestApp(t, provider, { clock: manualClock(), env: { LOGIN_RATE_LIMIT_MAX: '3', RATE_LIMIT_MAX: '100' } })
  const client = { remoteAddress: '203.0.113.40' }
  const rest = await app.inject({ method: 'POST', url: '/auth/login', payload: { email: ADMIN.email, password: ADMIN.password }, ...client })
  t.equal(rest.statusCode, 201)
  const { access_token: accessToken } = rest.json() as { access_token: string }
  const ns = await app.inject({ method: 'POST', url: '/graphql', ...client, payload: { query: 'mutation { login(username: "nobody", password: "x") { accessToken } }' } })
  t.equal(ns.statusCode, 401)
  const ca = await app.inject({ method: 'POST', url: '/service/Auth', ...client, payload: { query: '{ login(username: "nobody", password: "x") { jwt } }' } })
  t.equal(ca.statusCode, 200, 'the third check')

  const limited = [
    await app.inject({ method: 'POST', url: '/auth/login', ...client, payload: { email: ADMIN.email, password: ADMIN.password } }),
    await app.inject({ method: 'POST', url: '/graphql', ...client, payload: { query: 'query { loginUser(username: "admin", password: "x") { id } }' } }),
    await app.inject({ method: 'POST', url: '/service/Auth', ...client, payload: { query: '{ login(username: "admin", password: "x") { jwt } }' } }),
    await app.inject({ method: 'POST', url: '/auth/password', ...client, headers: bearer(accessToken), payload: { currentPassword: 'x', newPassword: 'whatever-123' } })
  ]
  t.same(limited.map(r => r.statusCode), [429, 429, 429, 429])
  t.ok(limited.every(r => /^[1-9]\d*$/.test(String(r.headers['retry-after']))), 'each with Retry-After')
  t.match(limited[1]?.json(), { data: null, errors: [{ extensions: { code: 'RATE_LIMITED' } }] })
  t.match(limited[2]?.json(), { ok: false, errors: [{ extensions: { code: 'RATE_LIMITED' } }] })

  const me = await app.inject({ method: 'POST', url: '/graphql', ...client, headers: bearer(accessToken), payload: { query: ME } })
  t.equal(me.statusCode, 200, 'requests that check no password still pass')
  const elsewhere = await app.inject({ method: 'POST', url: '/auth/login', remoteAddress: '203.0.113.41', payload: { email: ADMIN.email, password: ADMIN.password } })
  t.equal(elsewhere.statusCode, 201, 'another client logs in')
})

/** Requests from `remoteAddress` with `forwardedFor` until one is refused; how many passed. */
async function budget (app: App, remoteAddress: string, forwardedFor?: string): Promise<number> {
  for (let passed = 0; passed < 20; passed++) {
    const headers: Record<string, string> = forwardedFor !== undefined ? { 'x-forwarded-for': forwardedFor } : {}
    const res = await app.inject({ method: 'POST', url: '/auth/logout', remoteAddress, headers, payload: { refreshToken: 'x'.repeat(43) } })
    if (res.statusCode === 429) return passed
  }
  return Infinity
}

eachProvider('X-Forwarded-For is ignored unless TRUST_PROXY trusts the hop', async (t, provider) => {
  const limits = { RATE_LIMIT_MAX: '3' }
  const { app: direct } = await buildTestApp(t, provider, { env: { ...limits, TRUST_PROXY: 'false' } })
  t.equal(await budget(direct, '198.51.100.7', '203.0.113.1'), 3)
  t.equal(await budget(direct, '198.51.100.7', '203.0.113.2'), 0, 'a new X-Forwarded-For does not buy a new budget')
  t.equal(await budget(direct, '198.51.100.8'), 3, 'the connecting address is the key')

  const { app: proxied } = await buildTestApp(t, provider, { env: { ...limits, TRUST_PROXY: '127.0.0.1' } })
  t.equal(await budget(proxied, '127.0.0.1', '203.0.113.1'), 3, 'behind the trusted proxy: the forwarded client')
  t.equal(await budget(proxied, '127.0.0.1', '203.0.113.2'), 3, 'another forwarded client has its own budget')
  t.equal(await budget(proxied, '127.0.0.1', '203.0.113.1'), 0)
  t.equal(await budget(proxied, '127.0.0.1', '203.0.113.9, 203.0.113.1'), 0, 'a spoofed entry before the real one changes nothing')
  t.equal(await budget(proxied, '198.51.100.30', '203.0.113.3'), 3, 'an untrusted hop: its own address')
  t.equal(await budget(proxied, '198.51.100.30', '203.0.113.4'), 0, 'whatever it forwards')
})

void testWith(t, 'two instances sharing one Redis hit the same limit as one instance', [REDIS], async (t) => {
  const shared = await testRedis(t)
  const env = { ...shared.env, RATE_LIMIT_MAX: '10' }
  const { app: a, databaseUrl } = await buildTestApp(t, 'sqlite', { env })
  const { app: b } = await buildTestApp(t, 'sqlite', { env: { ...env, DATABASE_URL: databaseUrl } })
  const { app: single } = await buildTestApp(t, 'sqlite', { env: { RATE_LIMIT_MAX: '10' } })

  const alternate: number[] = []
  for (let i = 0; i < 14; i++) {
    const app = i % 2 === 0 ? a : b
    alternate.push((await app.inject({ method: 'POST', url: '/auth/logout', remoteAddress: '203.0.113.50', payload: { refreshToken: 'x'.repeat(43) } })).statusCode)
  }
  const alone: number[] = []
  for (let i = 0; i < 14; i++) {
    alone.push((await single.inject({ method: 'POST', url: '/auth/logout', remoteAddress: '203.0.113.50', payload: { refreshToken: 'x'.repeat(43) } })).statusCode)
  }
  t.same(alternate, [...Array(10).fill(200), ...Array(4).fill(429)], 'ten requests between the two, then both refuse')
  t.same(alternate, alone, 'exactly what one instance allows')
  t.ok((await shared.keys()).some(k => k.startsWith(`${shared.prefix}rate-limit:`)), 'the counters are in Redis, under the prefix')
})

void testWith(t, 'two instances sharing one Redis throttle an account as one: fifty parallel guesses, five tries', [REDIS], async (t) => {
  const shared = await testRedis(t)
  const { app: a, databaseUrl } = await buildTestApp(t, 'sqlite', { env: shared.env })
  const { app: b } = await buildTestApp(t, 'sqlite', { env: { ...shared.env, DATABASE_URL: databaseUrl } })
  await createUser(a, { email: 'maria@mail.com', password: 'maria-pass-1' })
  const guesses = await Promise.all(Array.from({ length: 50 }, (_, i) =>
    (i % 2 === 0 ? a : b).inject({ method: 'POST', url: '/auth/login', payload: { email: 'maria@mail.com', password: `guess-${i}` } })))
  t.equal(guesses.filter(r => r.statusCode === 401).length, 5, 'five guesses were checked, whichever instance got them')
  t.equal(guesses.filter(r => r.statusCode === 429).length, 45)
  t.ok((await shared.keys()).some(k => k.startsWith(`${shared.prefix}login-throttle:`)), 'the counter is in Redis')
})

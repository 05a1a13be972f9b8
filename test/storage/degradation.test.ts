// With the database gone, every surface answers 503 in its own shape (never
// 500), forward-auth keeps answering from memory, and everything recovers by
// itself when the database returns. PostgreSQL is taken away by refusing and
// ending the connections to the test's own database (the server keeps
// running for other tests); SQLite by another connection holding the write
// lock past busy_timeout. Through a TCP proxy the test cuts, the outage is
// logged in a few lines, not one per failed request, and counted.
import { createRequire } from 'node:module'
import { Writable } from 'node:stream'
import t from 'tap'
import { buildApp, type App } from '../../src/app.js'
import { DATABASE_UNAVAILABLE_MESSAGE } from '../../src/storage/unavailable.js'
import { ADMIN, buildTestApp, freshDatabaseUrl, login, manualClock, providerNeeds, testConfig } from '../helper.js'
import { bearer, graphql, serviceAuth } from '../graphql/support/requests.js'
import { withPostgres } from '../setup/databases.js'
import { testWith } from '../support/services.mjs'
import { tcpProxy } from '../support/tcp-proxy.js'

const GRAPHQL_LOGIN = 'mutation($u: String!, $p: String!) { login(username: $u, password: $p) { accessToken } }'
const SERVICE_AUTH_LOGIN = 'query($u: String, $p: String) { login(username: $u, password: $p) { jwt } }'
const restUnavailable = { statusCode: 503, error: 'Service Unavailable', message: DATABASE_UNAVAILABLE_MESSAGE }

/** Polls readiness until it answers 200; bounded. */
async function readyAgain (app: App): Promise<boolean> {
  for (let i = 0; i < 100; i++) {
    if ((await app.inject({ url: '/health/ready' })).statusCode === 200) return true
    await new Promise(resolve => setTimeout(resolve, 100))
  }
  return false
}

void testWith(t, 'PostgreSQL unreachable: 503 on every surface, forward-auth still answers, recovery on return', providerNeeds('postgresql'), async (t) => {
  const { app, databaseUrl } = await buildTestApp(t, 'postgresql')
  const name = new URL(databaseUrl).pathname.slice(1)
  const setConnections = (allowed: boolean) => withPostgres(async (client) => {
    await client.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS ${allowed}`)
    if (!allowed) await client.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [name])
  })
  t.teardown(() => setConnections(true))

  const { accessToken, refreshToken } = await login(app)
  await setConnections(false)

  const rest = {
    'POST /auth/login': await app.inject({ method: 'POST', url: '/auth/login', payload: { email: ADMIN.email, password: ADMIN.password } }),
    'GET /auth/profile': await app.inject({ url: '/auth/profile', headers: bearer(accessToken) }),
    'POST /api/v1/auth/refresh-token': await app.inject({ method: 'POST', url: '/api/v1/auth/refresh-token', payload: { refreshToken } }),
    'GET /users/1': await app.inject({ url: '/users/1', headers: bearer(accessToken) }),
    'GET /auth/sessions': await app.inject({ url: '/auth/sessions', headers: bearer(accessToken) })
  }
  for (const [request, res] of Object.entries(rest)) {
    t.equal(res.statusCode, 503, request)
    t.same(res.json(), restUnavailable, `${request}: the REST shape with a clear message`)
  }

  const next = await graphql(app, GRAPHQL_LOGIN, { variables: { u: ADMIN.email, p: ADMIN.password } })
  t.equal(next.statusCode, 503, '/graphql')
  t.same(next.json(), { data: null, errors: [{ message: DATABASE_UNAVAILABLE_MESSAGE, path: ['login'], locations: [{ line: 1, column: 38 }], extensions: { code: 'SERVICE_UNAVAILABLE' } }] })
  const me = await graphql(app, '{ me { id } }', { headers: bearer(accessToken) })
  t.equal(me.statusCode, 503, '/graphql me')
  t.equal(me.json().errors[0].extensions.code, 'SERVICE_UNAVAILABLE')

  const ca = await serviceAuth(app, SERVICE_AUTH_LOGIN, { variables: { u: ADMIN.email, p: ADMIN.password } })
  t.equal(ca.statusCode, 503, '/service/Auth')
  t.match(ca.json(), { ok: false, errors: [{ message: DATABASE_UNAVAILABLE_MESSAGE, extensions: { code: 'UNAVAILABLE' } }] })

  const verify = await app.inject({ url: '/auth/verify', headers: bearer(accessToken) })
  t.equal(verify.statusCode, 200, 'forward-auth needs no database')
  t.equal(verify.headers['x-user-email'], ADMIN.email)

  const ready = await app.inject({ url: '/health/ready' })
  t.equal(ready.statusCode, 503)
  t.same(ready.json(), { status: 'unavailable', database: 'down', migrations: 'unknown' })
  t.equal((await app.inject({ url: '/health/live' })).statusCode, 200, 'the process is alive')

  await setConnections(true)
  t.ok(await readyAgain(app), 'ready again without a restart')
  t.equal((await app.inject({ method: 'POST', url: '/auth/login', payload: { email: ADMIN.email, password: ADMIN.password } })).statusCode, 201)
  t.equal((await app.inject({ url: '/auth/profile', headers: bearer(accessToken) })).statusCode, 200)
  t.equal((await graphql(app, GRAPHQL_LOGIN, { variables: { u: ADMIN.email, p: ADMIN.password } })).statusCode, 200)
  t.equal((await serviceAuth(app, SERVICE_AUTH_LOGIN, { variables: { u: ADMIN.email, p: ADMIN.password } })).statusCode, 200)
})

t.test('SQLite write lock held past busy_timeout: 503, then recovery', async (t) => {
  const { app, databaseUrl } = await buildTestApp(t, 'sqlite')
  const Sqlite = createRequire(import.meta.url)('better-sqlite3') as new (file: string) => { exec (sql: string): void, close (): void }
  const locker = new Sqlite(databaseUrl.slice('file:'.length))
  t.teardown(() => locker.close())
  const { accessToken } = await login(app)

  locker.exec('BEGIN IMMEDIATE')
  // A login writes its session; it waits busy_timeout (5 s) for the lock, then gives up.
  const rest = await app.inject({ method: 'POST', url: '/auth/login', payload: { email: ADMIN.email, password: ADMIN.password } })
  t.equal(rest.statusCode, 503)
  t.same(rest.json(), restUnavailable)
  t.equal((await app.inject({ url: '/auth/verify', headers: bearer(accessToken) })).statusCode, 200, 'forward-auth needs no database')

  locker.exec('COMMIT')
  t.equal((await app.inject({ method: 'POST', url: '/auth/login', payload: { email: ADMIN.email, password: ADMIN.password } })).statusCode, 201, 'writes work again')
})

interface LogLine { level: number, msg: string, dependency?: string, failures?: number }

void testWith(t, 'PostgreSQL cut through a proxy: a few log lines for many failed requests, a line when it is back, the failures counted', providerNeeds('postgresql'), async (t) => {
  const direct = new URL(await freshDatabaseUrl(t, 'postgresql'))
  const proxy = await tcpProxy(direct.hostname, Number(direct.port === '' ? 5432 : direct.port))
  t.teardown(() => proxy.close())
  const proxied = new URL(direct)
  proxied.hostname = '127.0.0.1'
  proxied.port = String(proxy.port)
  const lines: LogLine[] = []
  const stream = new Writable({
    write (chunk: Buffer, _encoding, done) {
      for (const text of chunk.toString('utf8').split('\n')) if (text !== '') lines.push(JSON.parse(text) as LogLine)
      done()
    }
  })
  const clock = manualClock()
  const app = await buildApp(testConfig(proxied.toString()), { clock, announce: () => {}, logger: { level: 'info', stream } })
  t.teardown(() => app.close())
  await app.ready()
  const { accessToken } = await login(app)
  const started = lines.length

  await proxy.cut()
  const statuses: number[] = []
  const failOnce = async (i: number) => {
    const res = i % 3 === 0
      ? await app.inject({ method: 'POST', url: '/auth/login', payload: { email: ADMIN.email, password: ADMIN.password } })
      : i % 3 === 1
        ? await app.inject({ url: '/users/1', headers: bearer(accessToken) })
        : await graphql(app, GRAPHQL_LOGIN, { variables: { u: ADMIN.email, p: ADMIN.password } })
    statuses.push(res.statusCode)
  }
  // 60 failing requests over about three seconds, and then, 11 s later by the clock, 60 more.
  for (let i = 0; i < 60; i++) {
    await failOnce(i)
    await new Promise(resolve => setTimeout(resolve, 50))
  }
  clock.advance(11)
  for (let i = 0; i < 60; i++) await failOnce(i)
  t.same([...new Set(statuses)], [503], 'every one answered 503')

  await proxy.restore()
  t.ok(await readyAgain(app), 'ready again without a restart')
  // The revocation poll (every 500 ms) or the probe notices the return.
  for (let i = 0; i < 50 && !lines.some(l => l.dependency === 'database' && l.level === 30); i++) await new Promise(resolve => setTimeout(resolve, 100))

  const during = lines.slice(started).filter(l => l.level >= 40)
  t.equal(during.length, 2, `two warnings for 120 failed requests: when it went, and one summary (${during.map(l => l.msg).join(' | ')})`)
  t.match(during[0], { dependency: 'database', msg: /^database unavailable; requests that need it answer 503/ })
  t.match(during[1], { dependency: 'database', msg: /^database still unavailable: \d+ operations could not use it in the last 1\d(\.\d)? s$/ })
  const back = lines.slice(started).filter(l => l.dependency === 'database' && l.level === 30)
  t.equal(back.length, 1, 'one line when it is back')
  t.match(back[0], { failures: 120, msg: /^database is back after [\d.]+ s; 120 operations could not use it meanwhile$/ })
  t.equal((during[1]?.failures ?? 0) + 1 <= 120, true, 'the summary counts the failures since the first line')

  const metrics = (await app.inject({ url: '/metrics' })).body
  t.match(metrics, /^authgate_dependency_failures_total\{dependency="database"\} 120$/m, 'the metric counts every failed request')
  t.match(metrics, /^authgate_dependency_up\{dependency="database"\} 1$/m)
  t.equal(await login(app).then(() => 201, () => 0), 201, 'logins work again')
})

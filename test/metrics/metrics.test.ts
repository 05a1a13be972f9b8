// /metrics: Prometheus text fed by every answered request and by the shared
// services, whichever surface the client used.
import { Writable } from 'node:stream'
import t from 'tap'
import type { InjectOptions } from 'fastify'
import type { App } from '../../src/app.js'
import { ADMIN, buildTestApp, eachProvider, login, manualClock } from '../helper.js'
import { graphql, graphqlLogin } from '../graphql/support/requests.js'

/** The value of one sample, e.g. sample(text, 'authgate_logins_total{outcome="failed"}'); undefined when absent. */
function sample (text: string, series: string): number | undefined {
  const line = text.split('\n').find(l => l.startsWith(series + ' '))
  return line === undefined ? undefined : Number(line.slice(series.length + 1))
}

async function scrape (app: App): Promise<string> {
  const res = await app.inject({ url: '/metrics' })
  if (res.statusCode !== 200) throw new Error(`/metrics answered ${res.statusCode}`)
  return res.body
}

eachProvider('logins, refreshes and reuse detections are counted on every surface', async (t, provider) => {
  const clock = manualClock()
  const { app } = await buildTestApp(t, provider, { clock })
  const before = await scrape(app)
  t.equal(sample(before, 'authgate_logins_total{outcome="succeeded"}'), 0, 'present before the first login')
  t.equal(sample(before, 'authgate_refresh_token_reuse_detections_total'), 0)
  for (const table of ['refresh_tokens', 'sessions', 'revocations', 'audit_events']) {
    t.equal(sample(before, `authgate_purged_rows_total{table="${table}"}`), 0, `rows purged from ${table}, present before the first purge`)
  }

  const rest = await login(app)
  const ns = await graphqlLogin(app, ADMIN.email, ADMIN.password)
  const wrong = await app.inject({ method: 'POST', url: '/auth/login', payload: { email: ADMIN.email, password: 'not-the-password' } })
  t.equal(wrong.statusCode, 401)

  const rotated = await app.inject({ method: 'POST', url: '/auth/refresh-token', payload: { refreshToken: rest.refreshToken } })
  t.equal(rotated.statusCode, 201)
  const viaGraphQL = await graphql(app, 'mutation($r: String!) { refreshToken(refreshToken: $r) { accessToken } }', { variables: { r: ns.refreshToken } })
  t.equal(viaGraphQL.statusCode, 200)

  clock.advance(61) // past REFRESH_REUSE_INTERVAL (60 s): presenting the retired token again is reuse
  const reused = await app.inject({ method: 'POST', url: '/auth/refresh-token', payload: { refreshToken: rest.refreshToken } })
  t.equal(reused.statusCode, 401)

  const text = await scrape(app)
  t.equal(sample(text, 'authgate_logins_total{outcome="succeeded"}'), 2, 'REST and GraphQL logins')
  t.equal(sample(text, 'authgate_logins_total{outcome="failed"}'), 1)
  t.equal(sample(text, 'authgate_token_refreshes_total{kind="rotation"}'), 1)
  t.equal(sample(text, 'authgate_token_refreshes_total{kind="access"}'), 1)
  t.equal(sample(text, 'authgate_refresh_token_reuse_detections_total'), 1)
})

t.test('requests are counted and timed by route pattern and status', async (t) => {
  const { app } = await buildTestApp(t, 'sqlite')
  // Seconds the client waited, by series: the histogram may hold no more than that.
  const waited = new Map<string, number>()
  const ask = async (series: string, options: InjectOptions) => {
    const started = performance.now()
    const res = await app.inject(options)
    waited.set(series, (waited.get(series) ?? 0) + (performance.now() - started) / 1000)
    return res
  }
  const signedIn = await ask('method="POST",route="/auth/login",status_code="201"', { method: 'POST', url: '/auth/login', payload: ADMIN })
  const authorization = `Bearer ${signedIn.json().access_token as string}`
  for (let i = 0; i < 3; i++) await ask('method="GET",route="/users/:id",status_code="200"', { url: '/users/1', headers: { authorization } })
  await ask('method="GET",route="/users/:id",status_code="404"', { url: '/users/2', headers: { authorization } })
  await ask('method="GET",route="/auth/profile",status_code="401"', { url: '/auth/profile' })
  await ask('method="GET",route="unmatched",status_code="404"', { url: '/no/such/path/42' })
  await ask('method="GET",route="unmatched",status_code="404"', { url: '/no/such/path/43' })
  // Refused by a hook of the GraphQL context, before any handler.
  await ask('method="GET",route="/graphql",status_code="405"', { url: '/graphql?query={__typename}' })

  const text = await scrape(app)
  t.equal(sample(text, 'authgate_http_requests_total{method="GET",route="/users/:id",status_code="200"}'), 3, 'one series for every id')
  t.equal(sample(text, 'authgate_http_requests_total{method="GET",route="/users/:id",status_code="404"}'), 1)
  t.equal(sample(text, 'authgate_http_requests_total{method="GET",route="/auth/profile",status_code="401"}'), 1)
  t.equal(sample(text, 'authgate_http_requests_total{method="GET",route="unmatched",status_code="404"}'), 2, 'unknown paths share one series')
  t.equal(sample(text, 'authgate_http_requests_total{method="POST",route="/auth/login",status_code="201"}'), 1)
  t.equal(sample(text, 'authgate_http_requests_total{method="GET",route="/graphql",status_code="405"}'), 1)
  t.equal(sample(text, 'authgate_http_request_duration_seconds_count{method="GET",route="/users/:id",status_code="200"}'), 3)
  const slowest = sample(text, 'authgate_http_request_duration_seconds_bucket{le="+Inf",method="POST",route="/auth/login",status_code="201"}')
  t.equal(slowest, 1, 'the login is in the histogram')
  for (const [series, seconds] of waited) {
    const timed = sample(text, `authgate_http_request_duration_seconds_sum{${series}}`) ?? 0
    t.ok(timed > 0 && timed <= seconds, `{${series}} timed as answered: ${timed} s, within the ${seconds} s the client waited`)
  }
  t.match(text, /^process_cpu_seconds_total /m, 'process metrics too')
  t.match(text, /^authgate_password_hash_queue_depth 0$/m)
})

t.test('requests refused with 429 are counted', async (t) => {
  const { app } = await buildTestApp(t, 'sqlite', { env: { RATE_LIMIT_MAX: '2' } })
  const statuses: number[] = []
  for (let i = 0; i < 4; i++) statuses.push((await app.inject({ url: '/auth/sessions' })).statusCode)
  t.same(statuses, [401, 401, 429, 429])
  const text = await scrape(app)
  t.equal(sample(text, 'authgate_rate_limited_requests_total{route="/auth/sessions"}'), 2)
})

t.test('the argon2 queue depth shows logins waiting for a hashing slot', async (t) => {
  // One slot and a costlier hash, so logins queue behind each other (and none is throttled as a guess).
  const { app } = await buildTestApp(t, 'sqlite', {
    env: { ARGON2_CONCURRENCY: '1', ARGON2_MEMORY_KIB: '32768', ARGON2_TIME_COST: '3', LOGIN_THROTTLE_FREE_ATTEMPTS: '100' }
  })
  const logins = Array.from({ length: 6 }, () => app.inject({ method: 'POST', url: '/auth/login', payload: { email: ADMIN.email, password: ADMIN.password } }))
  let deepest = 0
  let done = false
  void Promise.all(logins).then(() => { done = true })
  for (let i = 0; i < 500 && !done; i++) {
    deepest = Math.max(deepest, sample(await scrape(app), 'authgate_password_hash_queue_depth') ?? 0)
    await new Promise(resolve => setTimeout(resolve, 5))
  }
  t.same((await Promise.all(logins)).map(r => r.statusCode), [201, 201, 201, 201, 201, 201])
  t.ok(deepest >= 1, `logins waited in the queue (deepest seen: ${deepest})`)
  t.equal(sample(await scrape(app), 'authgate_password_hash_queue_depth'), 0, 'empty once they are done')
})

t.test('METRICS_TOKEN protects /metrics; METRICS=false removes it', async (t) => {
  const token = 'scrape-token-0123456789abcdef'
  const { app } = await buildTestApp(t, 'sqlite', { env: { METRICS_TOKEN: token } })
  const none = await app.inject({ url: '/metrics' })
  t.equal(none.statusCode, 401)
  t.same(none.json(), { statusCode: 401, error: 'Unauthorized', message: 'A valid metrics token is required' })
  t.equal((await app.inject({ url: '/metrics', headers: { authorization: 'Bearer wrong-token' } })).statusCode, 401)
  const { accessToken } = await login(app)
  t.equal((await app.inject({ url: '/metrics', headers: { authorization: `Bearer ${accessToken}` } })).statusCode, 401, 'an access token is not the metrics token')
  const ok = await app.inject({ url: '/metrics', headers: { authorization: `Bearer ${token}` } })
  t.equal(ok.statusCode, 200)
  t.match(ok.headers['content-type'], /^text\/plain; version=0\.0\.4/)
  t.equal(ok.headers['cache-control'], 'no-store', 'the figures are not stored')

  const { app: off } = await buildTestApp(t, 'sqlite', { env: { METRICS: 'false' } })
  t.equal((await off.inject({ url: '/metrics' })).statusCode, 404)
})

t.test('in production /metrics is served only behind METRICS_TOKEN; without one it is off and the start says so once', async (t) => {
  const production = { NODE_ENV: 'production', JWT_SECRET: 'q8N2vX4mB7kL1pR9sT3wY6zA5cD0fG2hJ4nM8bV' }
  const lines: Array<{ level: number, msg: string }> = []
  const stream = new Writable({ write (chunk, _encoding, done) { lines.push(JSON.parse(String(chunk))); done() } })
  const { app } = await buildTestApp(t, 'sqlite', { env: production, logger: { level: 'info', stream } })
  t.equal((await app.inject({ url: '/metrics' })).statusCode, 404, 'not served')
  const warnings = lines.filter(l => /METRICS_TOKEN/.test(l.msg))
  t.equal(warnings.length, 1, 'one line names the setting')
  t.equal(warnings[0]?.level, 40, 'as a warning')

  const token = 'scrape-token-0123456789abcdef'
  const { app: guarded } = await buildTestApp(t, 'sqlite', { env: { ...production, METRICS_TOKEN: token } })
  t.equal((await guarded.inject({ url: '/metrics' })).statusCode, 401)
  t.equal((await guarded.inject({ url: '/metrics', headers: { authorization: `Bearer ${token}` } })).statusCode, 200)
})

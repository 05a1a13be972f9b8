// Three gateway processes sharing a database and Redis behind a real nginx
// running deploy/nginx.conf, all on loopback: tokens cross instances, a
// logout-all reaches every instance within a second, the rate limit is one
// budget across instances, forward-auth protects an upstream, and SIGTERM to
// one instance during a stream of requests loses none of them.
import { randomBytes } from 'node:crypto'
import { createServer } from 'node:http'
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import t from 'tap'
import { ADMIN, freshDatabaseUrl, PROVIDERS } from '../helper.js'
import { REDIS, redisServer } from '../support/redis.js'
import { testWith, tool } from '../support/services.mjs'
import { freePort, startGateway, startNginx, type Running } from './support/processes.js'

// PostgreSQL is what several instances share in production; without
// TEST_DATABASE_URL the same runs on one SQLite file shared by the processes.
const provider = PROVIDERS.includes('postgresql') ? 'postgresql' : 'sqlite'
const LOGIN_BUDGET = 10
const METRICS_TOKEN = randomBytes(24).toString('base64url')
const USER = { email: 'lb-user@example.com', password: 'lb-user-password-1', schoolId: 'school-42' }

void testWith(t, `several instances behind nginx [${provider}]`, [REDIS, tool('nginx')], async (t) => {
  const databaseUrl = await freshDatabaseUrl(t, provider)
  const redisUrl = redisServer()
  const prefix = `authgate-lb-${randomBytes(4).toString('hex')}:`
  const dataDir = mkdtempSync(join(tmpdir(), 'authgate-lb-'))
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }))
  const env = {
    NODE_ENV: 'production',
    DATABASE_URL: databaseUrl,
    DATA_DIR: dataDir,
    JWT_SECRET: randomBytes(32).toString('base64url'),
    ADMIN_EMAIL: ADMIN.email,
    ADMIN_PASSWORD: ADMIN.password,
    ARGON2_MEMORY_KIB: '8192',
    ARGON2_TIME_COST: '1',
    TRUST_PROXY: '127.0.0.1',
    REVOCATION_POLL_MS: '100',
    REDIS_URL: redisUrl.toString(),
    REDIS_KEY_PREFIX: prefix,
    RATE_LIMIT_MAX: '1000000',
    LOGIN_RATE_LIMIT_MAX: String(LOGIN_BUDGET),
    LOGIN_THROTTLE_FREE_ATTEMPTS: '1000',
    LOGIN_THROTTLE_KNOWN_CLIENT_TTL: '120',
    METRICS_TOKEN
  }

  const gateways: Running[] = []
  t.teardown(async () => {
    for (const g of gateways) if (g.child.exitCode === null) g.child.kill('SIGKILL')
    await Promise.all(gateways.map(g => g.exited))
    const redis = new Redis(redisUrl.toString())
    const keys = await redis.keys(`${prefix}*`)
    if (keys.length > 0) await redis.del(...keys)
    await redis.quit()
  })
  // The first creates the administrator; the others then start side by side.
  gateways.push(await startGateway(env))
  gateways.push(...await Promise.all([startGateway(env), startGateway(env)]))
  const direct = gateways.map(g => `http://127.0.0.1:${g.port}`)

  // The service forward-auth protects: it answers with what it received.
  const app = createServer((request, response) => {
    response.setHeader('content-type', 'application/json')
    response.end(JSON.stringify({ url: request.url, headers: request.headers }))
  }).listen(0, '127.0.0.1')
  await once(app, 'listening')
  t.teardown(() => new Promise(resolve => app.close(resolve)))

  const nginx = await startNginx({
    listenPort: await freePort(),
    gatewayPorts: gateways.map(g => g.port),
    appPort: (app.address() as { port: number }).port
  })
  t.teardown(() => nginx.stop())
  const front = `http://127.0.0.1:${nginx.port}`

  const post = (base: string, path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) })
  const get = (base: string, path: string, token?: string, headers: Record<string, string> = {}) =>
    fetch(base + path, { headers: { ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}), ...headers } })
  async function loginAt (base: string, email: string, password: string, ip = '192.0.2.1') {
    const res = await post(base, '/auth/login', { email, password }, { 'x-forwarded-for': ip })
    if (res.status !== 201) throw new Error(`login at ${base}: ${res.status} ${await res.text()}`)
    const body = await res.json() as { access_token: string, refresh_token: string }
    return { accessToken: body.access_token, refreshToken: body.refresh_token }
  }

  const admin = await loginAt(direct[0] as string, ADMIN.email, ADMIN.password)
  const created = await fetch(`${direct[0]}/users`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${admin.accessToken}` },
    body: JSON.stringify(USER)
  })
  t.equal(created.status, 201, 'a user to work with')
  const userId = String((await created.json() as { id: number }).id)

  await t.test('tokens issued by one instance work on the others', async (t) => {
    const [a, b, c] = direct as [string, string, string]
    const { accessToken, refreshToken } = await loginAt(a, USER.email, USER.password)
    for (const base of [b, c]) {
      t.equal((await get(base, '/auth/profile', accessToken)).status, 200, `profile at ${base}`)
      t.equal((await get(base, '/auth/verify', accessToken)).status, 200, `verify at ${base}`)
    }
    const rotated = await post(b, '/auth/refresh-token', { refreshToken })
    t.equal(rotated.status, 201, 'a refresh token from A rotates at B')
    const next = await rotated.json() as { access_token: string }
    t.equal((await get(c, '/auth/profile', next.access_token)).status, 200, "B's access token works at C")

    // Through nginx, requests go round robin across all three.
    const through = await loginAt(front, USER.email, USER.password)
    const statuses = []
    for (let i = 0; i < 6; i++) statuses.push((await get(front, '/auth/profile', through.accessToken)).status)
    t.same(statuses, [200, 200, 200, 200, 200, 200])
  })

  await t.test('logout-all through one instance is honoured by every instance within one second', async (t) => {
    const [a, b, c] = direct as [string, string, string]
    const { accessToken } = await loginAt(a, USER.email, USER.password)
    for (const base of [b, c]) t.equal((await get(base, '/auth/verify', accessToken)).status, 200, `valid at ${base} before`)

    const loggedOut = await post(a, '/auth/logout-all', {}, { authorization: `Bearer ${accessToken}` })
    t.equal(loggedOut.status, 200)
    const at = Date.now()
    t.equal((await get(a, '/auth/verify', accessToken)).status, 401, 'refused at once where it happened')
    for (const base of [b, c]) {
      let status = 200
      while (status === 200 && Date.now() - at < 3000) {
        status = (await get(base, '/auth/verify', accessToken)).status
        if (status === 200) await new Promise(resolve => setTimeout(resolve, 20))
      }
      const elapsed = Date.now() - at
      t.equal(status, 401, `refused at ${base}`)
      t.ok(elapsed < 1000, `within one second at ${base} (${elapsed} ms)`)
    }
  })

  await t.test('the login rate limit is one budget across instances', async (t) => {
    const ip = `203.0.113.${1 + Math.floor(Math.random() * 250)}`
    const answers: Array<{ status: number, instance: number, retryAfter: string | null }> = []
    for (let i = 0; i < 3 * LOGIN_BUDGET; i++) {
      const instance = i % 3
      const res = await post(direct[instance] as string, '/auth/login', { email: USER.email, password: USER.password }, { 'x-forwarded-for': ip })
      await res.arrayBuffer()
      answers.push({ status: res.status, instance, retryAfter: res.headers.get('retry-after') })
    }
    t.same(answers.map(a => a.status), [...Array(LOGIN_BUDGET).fill(201), ...Array(2 * LOGIN_BUDGET).fill(429)],
      `${LOGIN_BUDGET} logins in all, not ${LOGIN_BUDGET} per instance`)
    t.same([...new Set(answers.filter(a => a.status === 429).map(a => a.instance))].sort(), [0, 1, 2], 'every instance refuses')
    t.ok(answers.filter(a => a.status === 429).every(a => Number(a.retryAfter) > 0), 'with Retry-After')
    const viaNginx = await post(front, '/auth/login', { email: USER.email, password: USER.password }, { 'x-forwarded-for': ip })
    t.equal(viaNginx.status, 429, 'and through nginx')
    const otherClient = await post(front, '/auth/login', { email: USER.email, password: USER.password }, { 'x-forwarded-for': '203.0.113.251' })
    t.equal(otherClient.status, 201, 'another client has its own budget')
  })

  await t.test('nginx auth_request protects an upstream with the identity headers', async (t) => {
    const { accessToken } = await loginAt(front, USER.email, USER.password, '192.0.2.7')
    const forged = { 'x-user-id': '1', 'x-user-role': 'admin', 'x-user-email': 'admin@example.com' }
    const res = await get(front, '/app/orders?page=2', accessToken, forged)
    t.equal(res.status, 200)
    const seen = await res.json() as { url: string, headers: Record<string, string> }
    t.equal(seen.url, '/orders?page=2')
    t.match(seen.headers, { 'x-user-id': userId, 'x-user-email': USER.email, 'x-user-role': 'customer', 'x-user-school': USER.schoolId },
      'the identity the gateway vouches for, not the one the client sent')

    const adminRes = await get(front, '/app/', admin.accessToken, { 'x-user-school': 'forged' })
    const adminSeen = await adminRes.json() as { headers: Record<string, string> }
    t.equal(adminSeen.headers['x-user-role'], 'admin')
    t.notOk('x-user-school' in adminSeen.headers, 'no school header for a user without one, whatever the client sent')

    t.equal((await get(front, '/app/orders')).status, 401, 'no token')
    t.equal((await get(front, '/app/orders', 'not-a-token')).status, 401, 'a bad token')
  })

  await t.test('nginx does not pass /metrics from the outside; each instance serves it to the scraper', async (t) => {
    const scraper = { authorization: `Bearer ${METRICS_TOKEN}` }
    const direct0 = await get(direct[0] as string, '/metrics', undefined, scraper)
    t.equal(direct0.status, 200, 'an instance, asked directly with the token')
    t.match(await direct0.text(), /authgate_http_requests_total/)
    for (const path of ['/metrics', '/metrics/', '/METRICS', '/%6Detrics', '//metrics', '/metrics?format=text']) {
      const res = await get(front, path, undefined, scraper)
      await res.arrayBuffer()
      t.equal(res.status, 404, `${path} through nginx`)
    }
    t.equal((await get(front, '/health/ready')).status, 200, 'the rest still passes')
  })

  await t.test('SIGTERM to one instance during a stream of requests loses none', async (t) => {
    const victim = gateways[1] as Running
    const { accessToken } = await loginAt(front, USER.email, USER.password, '192.0.2.9')
    const received = () => (victim.output().match(/incoming request/g) ?? []).length
    const answers: Array<{ kind: string, status: number, afterExit: boolean }> = []
    const failures: string[] = []
    let exited = false
    let stop = false

    // Four clients, each sending one request after another: token checks,
    // profile reads (database) and logins (argon2, so some are in flight).
    const client = async (id: number) => {
      for (let n = 0; n < 4000 && !stop; n++) {
        const kind = n % 8 === 7 ? 'login' : n % 2 === 0 ? 'verify' : 'profile'
        try {
          const res = kind === 'login'
            ? await post(front, '/auth/login', { email: USER.email, password: USER.password }, { 'x-forwarded-for': `10.${id}.${Math.floor(n / 250)}.${n % 250}` })
            : await get(front, `/auth/${kind}`, accessToken)
          await res.arrayBuffer()
          answers.push({ kind, status: res.status, afterExit: exited })
        } catch (err) {
          failures.push(`${kind}: ${(err as Error).message}`)
        }
      }
    }
    const before = received()
    const clients = [0, 1, 2, 3].map(client)
    for (let i = 0; i < 500 && received() < before + 30; i++) await new Promise(resolve => setTimeout(resolve, 10))
    t.ok(received() >= before + 30, 'the instance is serving the stream when it is stopped')

    victim.child.kill('SIGTERM')
    const code = await victim.exited
    exited = true
    const atExit = answers.length
    for (let i = 0; i < 500 && answers.length < atExit + 100; i++) await new Promise(resolve => setTimeout(resolve, 10))
    stop = true
    await Promise.all(clients)

    t.equal(code, 0, 'a clean exit')
    t.match(victim.output(), /shutting down/)
    t.same(failures, [], 'no request failed at the client')
    const lost = answers.filter(a => a.status !== (a.kind === 'login' ? 201 : 200))
    t.same(lost, [], `every one of ${answers.length} requests answered with success`)
    t.ok(answers.filter(a => a.afterExit).length >= 100, 'the others carried on after it exited')
    t.ok(answers.some(a => a.kind === 'login') && answers.some(a => a.kind === 'profile'), 'logins and reads in the stream')
  })
})

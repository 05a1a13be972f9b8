// Redis cut in the middle of a stream of logins (through a TCP proxy the test
// owns; the machine's Redis keeps running): logins go on, throttled in each
// instance's memory, a login name blocked before or during the outage stays
// blocked on the instance that knew it, readiness stays 200 and says
// "degraded", the log says so once, and counting is shared by the instances
// again once Redis is back.
import { Writable } from 'node:stream'
import t from 'tap'
import type { App } from '../../src/app.js'
import { ADMIN, buildTestApp, createUser } from '../helper.js'
import { REDIS, testRedis } from '../support/redis-prefix.js'
import { redisServer } from '../support/redis.js'
import { testWith } from '../support/services.mjs'
import { tcpProxy } from '../support/tcp-proxy.js'

interface LogLine { level: number, msg: string, dependency?: string, failures?: number }

function captureLog () {
  const lines: LogLine[] = []
  const stream = new Writable({
    write (chunk: Buffer, _encoding, done) {
      for (const text of chunk.toString('utf8').split('\n')) if (text !== '') lines.push(JSON.parse(text) as LogLine)
      done()
    }
  })
  return { stream, lines }
}

const WARN = 40
const INFO = 30

async function loginStatus (app: App, email: string, password: string, remoteAddress = '198.51.100.1'): Promise<number> {
  return (await app.inject({ method: 'POST', url: '/auth/login', remoteAddress, payload: { email, password } })).statusCode
}

/** Polls readiness until its body's redis field is `want`; bounded. */
async function readinessSays (app: App, want: 'up' | 'degraded') {
  for (let i = 0; i < 100; i++) {
    const res = await app.inject({ url: '/health/ready' })
    if (res.json().redis === want) return res
    await new Promise(resolve => setTimeout(resolve, 100))
  }
  throw new Error(`readiness never said redis ${want}`)
}

function sample (text: string, series: string): number | undefined {
  const line = text.split('\n').find(l => l.startsWith(series + ' '))
  return line === undefined ? undefined : Number(line.slice(series.length + 1))
}

void testWith(t, 'a Redis outage degrades logins to per-instance throttling and readiness to "degraded"', [REDIS], async (t) => {
  const server = redisServer()
  const proxy = await tcpProxy(server.hostname, Number(server.port))
  t.teardown(() => proxy.close())
  const shared = await testRedis(t)
  const log = captureLog()
  // A wait long enough that "blocked" stays true for the whole test.
  const env = { ...shared.env, REDIS_URL: `redis://127.0.0.1:${proxy.port}`, LOGIN_THROTTLE_BASE_DELAY: '600' }
  const { app: a, databaseUrl } = await buildTestApp(t, 'sqlite', { env, logger: { level: 'info', stream: log.stream } })
  const { app: b } = await buildTestApp(t, 'sqlite', { env: { ...env, DATABASE_URL: databaseUrl } })
  for (const name of ['maria', 'juan', 'pedro']) await createUser(a, { email: `${name}@mail.com`, password: `${name}-pass-1` })
  const started = log.lines.length

  // Logins go on all along, from a client of their own.
  const background: number[] = []
  let stop = false
  const stream = (async () => {
    while (!stop) {
      background.push(await loginStatus(a, ADMIN.email, ADMIN.password, '192.0.2.99'))
      await new Promise(resolve => setTimeout(resolve, 20))
    }
  })()

  // Before: maria is blocked (five failures; the fifth starts a wait).
  for (let i = 0; i < 5; i++) t.equal(await loginStatus(a, 'maria@mail.com', 'wrong'), 401)
  t.equal(await loginStatus(a, 'maria@mail.com', 'maria-pass-1'), 429, 'before: maria waits, even with her password')
  const before = background.length

  await proxy.cut()
  const degraded = await readinessSays(a, 'degraded')
  t.equal(degraded.statusCode, 200, 'during: readiness stays 200, the instance can serve')
  t.match(degraded.json(), { status: 'ok', database: 'up', migrations: 'applied', redis: 'degraded', notes: [/^redis unreachable: login throttling and rate limits count in this instance's memory/] })

  t.equal(await loginStatus(a, ADMIN.email, ADMIN.password), 201, 'during: a login succeeds')
  t.equal(await loginStatus(a, 'maria@mail.com', 'maria-pass-1'), 429, 'during: maria, blocked before, still waits on this instance')
  t.equal(await loginStatus(a, 'maria@mail.com', 'maria-pass-1', '203.0.113.7'), 429, 'from any address')
  for (let i = 0; i < 5; i++) t.equal(await loginStatus(a, 'juan@mail.com', 'wrong'), 401)
  t.equal(await loginStatus(a, 'juan@mail.com', 'juan-pass-1'), 429, 'during: juan, blocked during the outage, waits')
  t.equal(await loginStatus(a, 'pedro@mail.com', 'pedro-pass-1'), 201, 'during: anyone else logs in')
  const duringMetrics = (await a.inject({ url: '/metrics' })).body
  t.equal(sample(duringMetrics, 'authgate_dependency_up{dependency="redis"}'), 0)
  t.ok((sample(duringMetrics, 'authgate_dependency_failures_total{dependency="redis"}') ?? 0) > 0, 'failed Redis commands are counted')
  const during = background.length

  await proxy.restore()
  const up = await readinessSays(a, 'up')
  t.equal(up.statusCode, 200)
  t.same(up.json(), { status: 'ok', database: 'up', migrations: 'applied', redis: 'up' })
  await readinessSays(b, 'up')
  t.equal(await loginStatus(a, ADMIN.email, ADMIN.password), 201, 'after: a login succeeds')

  // After: one counter in Redis again. Three failures on a and two on b make five: the fifth starts a wait on both.
  for (let i = 0; i < 3; i++) t.equal(await loginStatus(a, 'pedro@mail.com', 'wrong', '203.0.113.20'), 401)
  for (let i = 0; i < 2; i++) t.equal(await loginStatus(b, 'pedro@mail.com', 'wrong', '203.0.113.21'), 401)
  t.equal(await loginStatus(a, 'pedro@mail.com', 'wrong', '203.0.113.22'), 429, 'after: a sees the failures made on b')
  t.equal(await loginStatus(b, 'pedro@mail.com', 'wrong', '203.0.113.23'), 429, 'and b those made on a')
  t.equal(await loginStatus(a, 'maria@mail.com', 'maria-pass-1'), 429, 'after: maria still waits (her wait is in Redis)')

  await new Promise(resolve => setTimeout(resolve, 200))
  stop = true
  await stream
  t.ok(before > 0 && during > before && background.length > during, `logins went on before, during and after (${before}, ${during - before}, ${background.length - during})`)
  t.same([...new Set(background)], [201], 'every one of them succeeded: none answered 503')

  const redisLines = log.lines.filter(l => l.dependency === 'redis')
  const warnings = redisLines.filter(l => l.level === WARN)
  t.equal(warnings.length, 1, 'one warning for the outage, not one per request')
  t.match(warnings[0]?.msg, /^redis unavailable; login throttling and rate limits count in this instance's memory until redis returns/)
  const back = redisLines.filter(l => l.level === INFO)
  t.equal(back.length, 1, 'one line when it is back')
  t.match(back[0], { msg: /^redis is back after [\d.]+ s; \d+ operations could not use it meanwhile$/ })
  t.same(log.lines.slice(started).filter(l => l.level >= WARN && l.dependency !== 'redis'), [], 'nothing else warned')
  const metrics = (await a.inject({ url: '/metrics' })).body
  t.equal(sample(metrics, 'authgate_dependency_up{dependency="redis"}'), 1)
  t.equal(sample(metrics, 'authgate_dependency_failures_total{dependency="redis"}'), back[0]?.failures, 'the metric counts what the log reports')
})

// Readiness says what the load balancer needs to know: the database answers
// and every shipped migration is applied. Redis, when configured, is reported
// but never takes the instance out: without it the instance serves degraded.
import t from 'tap'
import { sql } from 'kysely'
import { openDatabase } from '../src/storage/database.js'
import { migrationsDirectory, shippedMigrations } from '../src/storage/migrations.js'
import { buildTestApp, eachProvider } from './helper.js'
import { REDIS, redisServer } from './support/redis.js'
import { testWith } from './support/services.mjs'
import { tcpProxy } from './support/tcp-proxy.js'

eachProvider('liveness and readiness probes', async (t, provider) => {
  const { app } = await buildTestApp(t, provider)
  const live = await app.inject({ url: '/health/live' })
  t.equal(live.statusCode, 200)
  t.same(live.json(), { status: 'ok' })
  const ready = await app.inject({ url: '/health/ready' })
  t.equal(ready.statusCode, 200)
  t.same(ready.json(), { status: 'ok', database: 'up', migrations: 'applied' })
})

eachProvider('readiness is refused while a shipped migration is not applied', async (t, provider) => {
  const { app, databaseUrl } = await buildTestApp(t, provider)
  const latest = shippedMigrations(migrationsDirectory(provider)).at(-1) as string
  const database = await openDatabase(databaseUrl)
  t.teardown(() => database.close())
  const setRolledBack = (value: string) => sql`UPDATE _prisma_migrations SET rolled_back_at = ${sql.raw(value)} WHERE migration_name = ${latest}`.execute(database.db)

  await setRolledBack('CURRENT_TIMESTAMP')
  const pending = await app.inject({ url: '/health/ready' })
  t.equal(pending.statusCode, 503)
  t.same(pending.json(), { status: 'unavailable', database: 'up', migrations: 'pending' })

  await setRolledBack('NULL')
  t.equal((await app.inject({ url: '/health/ready' })).statusCode, 200, 'ready again once applied')
})

void testWith(t, 'readiness reports Redis when REDIS_URL is set, and stays 200 without it', [REDIS], async (t) => {
  const redis = redisServer()
  const proxy = await tcpProxy(redis.hostname, Number(redis.port))
  t.teardown(() => proxy.close())
  const { app } = await buildTestApp(t, 'sqlite', { env: { REDIS_URL: `redis://127.0.0.1:${proxy.port}` } })

  const up = await app.inject({ url: '/health/ready' })
  t.equal(up.statusCode, 200)
  t.same(up.json(), { status: 'ok', database: 'up', migrations: 'applied', redis: 'up' })

  await proxy.cut()
  const down = await app.inject({ url: '/health/ready' })
  t.equal(down.statusCode, 200, 'the instance still serves')
  t.match(down.json(), { status: 'ok', database: 'up', migrations: 'applied', redis: 'degraded', notes: [/^redis unreachable: /] })
  t.same((await app.inject({ url: '/health/live' })).json(), { status: 'ok' }, 'liveness does not look at Redis')

  // The client reconnects by itself (every 2 s at most); bounded wait.
  await proxy.restore()
  let state = ''
  for (let i = 0; i < 60 && state !== 'up'; i++) {
    await new Promise(resolve => setTimeout(resolve, 100))
    state = (await app.inject({ url: '/health/ready' })).json().redis
  }
  t.equal(state, 'up', 'up again once Redis answers')
  t.same((await app.inject({ url: '/health/ready' })).json(), { status: 'ok', database: 'up', migrations: 'applied', redis: 'up' }, 'and the note is gone')
})

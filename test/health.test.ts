// Readiness says what the load balancer needs to know: the database answers,
// every shipped migration is applied, and Redis answers when configured.
import { openDatabase } from '../src/storage/database.js'
import { migrationsDirectory, shippedMigrations } from '../src/storage/migrations.js'
import { buildTestApp, eachProvider } from './helper.js'

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
  const setRolledBack = (value: string) => database.db.$executeRawUnsafe(
    `UPDATE _prisma_migrations SET rolled_back_at = ${value} WHERE migration_name = '${latest}'`)

  await setRolledBack('CURRENT_TIMESTAMP')
  const pending = await app.inject({ url: '/health/ready' })
  t.equal(pending.statusCode, 503)
  t.same(pending.json(), { status: 'unavailable', database: 'up', migrations: 'pending' })

  await setRolledBack('NULL')
  t.equal((await app.inject({ url: '/health/ready' })).statusCode, 200, 'ready again once applied')
})

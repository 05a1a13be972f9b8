// Processes starting together on one database, or beside one already
// serving on it (the same SQLite file included), wait for each other's
// migrations instead of failing, and a restart with nothing to migrate goes
// straight to serving.
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { promisify } from 'node:util'
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely'
import BetterSqlite from 'better-sqlite3'
import pg from 'pg'
import { migrationsDirectory, shippedMigrations } from '../../src/storage/migrations.js'
import { sqlitePath } from '../../src/storage/database-url.js'
import { startGateway, type Running } from '../deploy/support/processes.js'
import { ROOT } from '../setup/databases.js'
import { ADMIN, eachProvider, emptyDatabaseUrl, type TestProvider } from '../helper.js'

const run = promisify(execFile)
const USERS = join(ROOT, 'dist', 'src', 'cli', 'users.js')
const MIGRATE = join(ROOT, 'dist', 'src', 'cli', 'migrate.js')
const QUICK_ARGON2 = { ARGON2_MEMORY_KIB: '8192', ARGON2_TIME_COST: '1' }

/** What Prisma recorded: every migration applied exactly once, none failed. */
async function recorded (url: string, provider: TestProvider) {
  const db = provider === 'sqlite'
    ? new Kysely<unknown>({ dialect: new SqliteDialect({ database: new BetterSqlite(sqlitePath(url)) }) })
    : new Kysely<unknown>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 1 }) }) })
  try {
    const { rows } = await sql<{ name: string, done: number }>`SELECT migration_name AS name, CASE WHEN finished_at IS NULL OR rolled_back_at IS NOT NULL THEN 0 ELSE 1 END AS done FROM _prisma_migrations ORDER BY migration_name`.execute(db)
    return rows.map(r => `${r.name}${Number(r.done) === 1 ? '' : ' (not applied)'}`)
  } finally {
    await db.destroy()
  }
}

function gatewayEnv (url: string): Record<string, string> {
  return {
    DATABASE_URL: url, JWT_SECRET: randomBytes(32).toString('base64url'), ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password,
    REVOCATION_POLL_MS: '100', RATE_LIMIT_MAX: '1000000', LOGIN_RATE_LIMIT_MAX: '1000000', ...QUICK_ARGON2
  }
}

async function stop (gateway: Running): Promise<void> {
  if (gateway.child.exitCode !== null) return
  gateway.child.kill('SIGTERM')
  await gateway.exited
}

eachProvider('processes starting at once on an empty database apply each migration once', async (t, provider) => {
  const url = await emptyDatabaseUrl(t, provider)
  const env = gatewayEnv(url)
  const gateways = await Promise.all([startGateway(env), startGateway(env), startGateway(env)])
  t.teardown(() => Promise.all(gateways.map(stop)))
  t.same(await recorded(url, provider), shippedMigrations(migrationsDirectory(provider)), 'every migration recorded once, none failed')
  t.equal(gateways.filter(g => /applied database migrations/.test(g.output())).length, 1, 'one of them applied them; the others found them applied')
  for (const g of gateways) t.equal((await fetch(`http://127.0.0.1:${g.port}/health/ready`)).status, 200)
})

eachProvider('a restart with nothing to migrate goes straight to serving', async (t, provider) => {
  const url = await emptyDatabaseUrl(t, provider)
  const env = gatewayEnv(url)
  const first = await startGateway(env)
  t.match(first.output(), /applied database migrations/)
  await stop(first)
  const second = await startGateway(env)
  t.teardown(() => stop(second))
  t.notMatch(second.output(), /applied database migrations/, 'the second start found nothing to apply')
  t.equal((await fetch(`http://127.0.0.1:${second.port}/health/ready`)).status, 200)
})

eachProvider('a second server, the users command and migrate start beside one serving logins on the same database', async (t, provider) => {
  const url = await emptyDatabaseUrl(t, provider)
  const env = gatewayEnv(url)
  const first = await startGateway(env)
  t.teardown(() => stop(first))
  const base = (g: Running) => `http://127.0.0.1:${g.port}`
  const login = (g: Running) => fetch(`${base(g)}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: ADMIN.email, password: ADMIN.password }) })

  // Keep the first one busy writing sessions while the others start.
  let stopLoad = false
  const statuses: number[] = []
  const load = (async () => { while (!stopLoad) statuses.push((await login(first)).status) })()
  const [second, command, migrate] = await Promise.all([
    startGateway(env),
    run(process.execPath, [USERS, 'add', '--email', 'beside@example.com', '--password', 'beside-password-1'], { env: { ...process.env, DATABASE_URL: url, ...QUICK_ARGON2 } }),
    run(process.execPath, [MIGRATE], { env: { ...process.env, DATABASE_URL: url } })
  ])
  t.teardown(() => stop(second))
  stopLoad = true
  await load
  t.ok(statuses.length > 0 && statuses.every(s => s === 201), `the first kept serving logins meanwhile (${statuses.length})`)
  t.match(command.stdout, /created user/)
  t.equal(migrate.stdout, 'the database is up to date\n')

  const session = await (await login(first)).json() as { access_token: string, refresh_token: string }
  const bearer = { authorization: `Bearer ${session.access_token}` }
  t.equal((await fetch(`${base(second)}/auth/profile`, { headers: bearer })).status, 200, 'a session of the first works on the second')
  const refreshed = await fetch(`${base(second)}/auth/refresh-token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refreshToken: session.refresh_token }) })
  t.equal(refreshed.status, 201, 'and refreshes there')
  const { access_token: access } = await refreshed.json() as { access_token: string }
  t.equal((await fetch(`${base(second)}/auth/logout-all`, { method: 'POST', headers: { authorization: `Bearer ${access}` } })).status, 200)
  await sleep(1000)
  t.equal((await fetch(`${base(first)}/auth/profile`, { headers: { authorization: `Bearer ${access}` } })).status, 401, 'a logout on the second is refused by the first within a second')
  const beside = await fetch(`${base(first)}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'beside@example.com', password: 'beside-password-1' }) })
  t.equal(beside.status, 201, 'the user the command added meanwhile logs in')
})

// The schema is brought up to date by whatever starts first, once: the
// server at every start, the users command before the first start, `npm run
// migrate`; and what goes wrong on the command line is one line.
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

eachProvider('the users command works on an empty database, before the first start', async (t, provider) => {
  const url = await emptyDatabaseUrl(t, provider)
  const env = { ...process.env, DATABASE_URL: url, ...QUICK_ARGON2 }
  const added = await run(process.execPath, [USERS, 'add', '--email', 'first@example.com', '--password', 'first-password-1', '--role', 'admin'], { env })
  t.match(added.stdout, /^created user 1 first@example\.com \(username first, role admin\)\n$/)
  t.equal(added.stderr, '', 'and nothing else: no notices from the migration tool')
  t.same(await recorded(url, provider), shippedMigrations(migrationsDirectory(provider)), 'every shipped migration applied, once')

  const gateway = await startGateway(gatewayEnv(url))
  t.teardown(() => stop(gateway))
  const login = await fetch(`http://127.0.0.1:${gateway.port}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'first@example.com', password: 'first-password-1' }) })
  t.equal(login.status, 201, 'the first start serves the user the command made')
  t.notMatch(gateway.output(), /applied database migrations|WARNING|prisma/i, 'and had nothing to migrate, nor anything of Prisma\'s to print')
})

eachProvider('command-line mistakes are one line, never a stack trace', async (t, provider) => {
  const url = await emptyDatabaseUrl(t, provider)
  const cases: Array<[string, string, string[], Record<string, string>, number, RegExp]> = [
    ['an unknown flag', USERS, ['add', '--emial', 'x@example.com'], { DATABASE_URL: url }, 64, /^authgate users: Unknown option '--emial'/],
    ['a bad role', USERS, ['add', '--email', 'x@example.com', '--password', 'long-enough-1', '--role', 'root'], { DATABASE_URL: url }, 64, /^authgate users: --role must be one of customer, admin\n$/],
    ['bad settings', USERS, ['add', '--email', 'x@example.com', '--password', 'long-enough-1'], { DATABASE_URL: url, NODE_ENV: 'production' }, 78, /^authgate: JWT_SECRET is required when NODE_ENV=production\n$/],
    ['a database that does not answer', USERS, ['add', '--email', 'x@example.com', '--password', 'long-enough-1'], { DATABASE_URL: 'postgresql://nobody@127.0.0.1:9/none' }, 1, /^authgate users: the database is not reachable: /],
    ['migrate, no database', MIGRATE, [], { DATABASE_URL: 'postgresql://nobody@127.0.0.1:9/none' }, 1, /^authgate migrate: the database is not reachable: /],
    ['a database URL of no known kind', MIGRATE, [], { DATABASE_URL: 'mysql://x' }, 78, /^authgate: DATABASE_URL must start with/]
  ]
  for (const [name, cli, args, env, code, stderr] of cases) {
    const failed = await run(process.execPath, [cli, ...args], { env: { ...process.env, ...QUICK_ARGON2, ...env } }).then(() => ({ code: 0, stderr: '' }), (err: { code: number, stderr: string }) => err)
    t.equal(failed.code, code, `${name}: exit ${code}`)
    t.match(failed.stderr, stderr, name)
    t.equal(failed.stderr.trim().split('\n').length, 1, `${name}: one line`)
  }
  const done = await run(process.execPath, [MIGRATE], { env: { ...process.env, DATABASE_URL: url } })
  t.match(done.stdout, /^applied \d+ migration\(s\): /)
  t.equal((await run(process.execPath, [MIGRATE], { env: { ...process.env, DATABASE_URL: url } })).stdout, 'the database is up to date\n')
})

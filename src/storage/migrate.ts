// Brings the database's schema up to date before anything uses it: the
// server at every start, the users command, `npm run migrate`. The usual
// case, nothing pending, costs one query and starts no other process. When
// migrations are pending, `prisma migrate deploy` applies them (Prisma stays
// the migrator), inside a lock that every process of the deployment takes,
// so two starting at once never apply the same migration twice:
// PostgreSQL's advisory lock, or a lock file beside the SQLite database.
import { execFile } from 'node:child_process'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely'
import lockfile from 'proper-lockfile'
import { providerOf, sqlitePath } from './database-url.js'
import { appliedMigrations, migrationsDirectory, shippedMigrations } from './migrations.js'

/** A migration could not be applied; the message is Prisma's reason, on one line. */
export class MigrationError extends Error {
  override name = 'MigrationError'
}

/** Any pending migration is applied within this long, or the start fails saying so. */
const MIGRATE_TIMEOUT_MS = 5 * 60_000
/** How long a start waits for another process's migrations before giving up. */
const LOCK_WAIT_MS = 5 * 60_000
/** The advisory lock key every instance migrating a PostgreSQL database takes. */
const ADVISORY_LOCK_KEY = 0x61757468 // "auth"

const run = promisify(execFile)

async function pendingMigrations (url: string): Promise<string[]> {
  const provider = providerOf(url)
  const shipped = shippedMigrations(migrationsDirectory(provider))
  // A short-lived connection of its own: nothing else of the gateway is open yet.
  let db: Kysely<unknown>
  if (provider === 'sqlite') {
    const { default: BetterSqlite } = await import('better-sqlite3')
    db = new Kysely({ dialect: new SqliteDialect({ database: new BetterSqlite(sqlitePath(url), { timeout: 5000 }) }) })
  } else {
    const { default: pg } = await import('pg')
    db = new Kysely({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 1, connectionTimeoutMillis: 5000 }) }) })
  }
  try {
    const applied = await appliedMigrations(db)
    return shipped.filter(name => !applied.has(name))
  } finally {
    await db.destroy()
  }
}

/** Runs `work` while holding the deployment's migration lock. */
async function withMigrationLock<T> (url: string, work: () => Promise<T>): Promise<T> {
  if (providerOf(url) === 'sqlite') {
    const path = sqlitePath(url)
    const release = await lockfile.lock(dirname(path), {
      lockfilePath: `${path}.migrate-lock`,
      realpath: false,
      // A lock whose holder died is taken over once it is this old.
      stale: 30_000,
      retries: { retries: Math.ceil(LOCK_WAIT_MS / 500), minTimeout: 500, maxTimeout: 500, factor: 1 }
    })
    try {
      return await work()
    } finally {
      await release()
    }
  }
  const { default: pg } = await import('pg')
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 })
  await client.connect()
  try {
    await client.query('SELECT pg_advisory_lock($1)', [ADVISORY_LOCK_KEY])
    return await work()
  } finally {
    // Ending the session releases the lock as well, whatever happened.
    await client.end()
  }
}

/** Prisma's reason for a failed deploy: its error line, without the CLI's notices around it. */
function reasonOf (output: string): string {
  const lines = output.split('\n').map(l => l.trim()).filter(Boolean)
  const error = lines.findIndex(l => /^Error[: ]/.test(l))
  const reason = error === -1 ? lines.at(-1) : lines.slice(error, error + 3).join(' ')
  return reason ?? 'prisma migrate deploy failed'
}

/**
 * Loaded into the Prisma CLI's process: on PostgreSQL its schema engine
 * leaves a 10-second timer behind once its work is done, which kept every
 * deploy (and so every start) waiting that long. A timer must not keep a
 * finished command alive; one still running its queries is kept alive by
 * them, so the timers fire as before.
 */
const LONG_TIMERS_DO_NOT_HOLD = 'data:text/javascript,' + encodeURIComponent(
  'const set = globalThis.setTimeout; globalThis.setTimeout = function (fn, ms, ...rest) { const t = set(fn, ms, ...rest); if (ms >= 5000) t.unref(); return t }'
)

async function deploy (url: string): Promise<void> {
  const cli = createRequire(import.meta.url).resolve('prisma/build/index.js')
  try {
    await run(process.execPath, ['--import', LONG_TIMERS_DO_NOT_HOLD, cli, 'migrate', 'deploy'], {
      // prisma.config.ts, at the root of the checkout or image, names the schema and migrations of DATABASE_URL's provider.
      cwd: join(migrationsDirectory(providerOf(url)), '..', '..', '..'),
      env: { ...process.env, DATABASE_URL: url, PRISMA_HIDE_UPDATE_MESSAGE: '1' },
      timeout: MIGRATE_TIMEOUT_MS
    })
  } catch (err) {
    const { stdout = '', stderr = '' } = err as { stdout?: string, stderr?: string }
    throw new MigrationError(reasonOf(`${stdout}\n${stderr}`))
  }
}

/**
 * Applies the migrations this build ships that the database lacks; returns
 * their names (none, usually). Waits while another process migrates.
 */
export async function migrateIfNeeded (url: string): Promise<string[]> {
  if ((await pendingMigrations(url)).length === 0) return []
  return await withMigrationLock(url, async () => {
    // Another process may have applied them while this one waited.
    const pending = await pendingMigrations(url)
    if (pending.length > 0) await deploy(url)
    return pending
  })
}

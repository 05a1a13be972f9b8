// Prisma's CLI (generate, migrate deploy/status/diff) uses the JavaScript
// schema engine through a driver adapter, so nothing is downloaded at install
// or run time. DATABASE_URL (DIRECT_URL when set) picks the provider, its
// schema and migrations.
import { defineConfig } from 'prisma/config'
import { PrismaBetterSQLite3 } from '@prisma/adapter-better-sqlite3'
import { PrismaPg } from '@prisma/adapter-pg'
import pg from 'pg'
import { DEFAULT_DATABASE_URL, ensureSqliteDirectory, providerOf, sqlitePath } from './src/storage/database-url.js'

// The server's default too; set in the environment so the schema's env("DATABASE_URL") resolves.
// DIRECT_URL, when set, bypasses a transaction pooler, as the server's migrations do.
const url = process.env.DIRECT_URL || (process.env.DATABASE_URL ||= DEFAULT_DATABASE_URL)
const provider = providerOf(url)

// The schema engine's catalogue queries return columns of PostgreSQL's `name`
// (19) and `"char"` (18) types, which the pg adapter refuses to map
// (prisma/orm#27403). Both are text, so report them as such.
const TEXT_OID = 25
function asText<T extends { fields?: Array<{ dataTypeID: number }> }> (result: T): T {
  for (const field of result?.fields ?? []) {
    if (field.dataTypeID === 18 || field.dataTypeID === 19) field.dataTypeID = TEXT_OID
  }
  return result
}
function catalogueFriendlyPool (connectionString: string): pg.Pool {
  // allowExitOnIdle: the command exits once its work is done instead of waiting for idle connections to time out.
  const pool = new pg.Pool({ connectionString, allowExitOnIdle: true })
  const query = pool.query.bind(pool) as (...args: unknown[]) => Promise<pg.QueryResult>
  // Every call the adapter makes returns a promise.
  pool.query = (async (...args: unknown[]) => asText(await query(...args))) as typeof pool.query
  return pool
}

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: `prisma/${provider}/schema.prisma`,
  migrations: { path: `prisma/${provider}/migrations` },
  async adapter () {
    if (provider === 'postgresql') return new PrismaPg(catalogueFriendlyPool(url))
    ensureSqliteDirectory(url)
    // Another process may be writing to the file: wait for it (up to 5 s) rather than fail as busy.
    return new PrismaBetterSQLite3({ url: `file:${sqlitePath(url)}`, timeout: 5000 })
  }
})

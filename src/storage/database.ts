// Opens the Prisma client for the provider DATABASE_URL names. Both
// generated clients come from the same models, so the rest of the code is
// written against one of them. Only the provider in use is loaded: each
// client brings its own query compiler, which costs memory and start time.
import type { PrismaClient as SqliteClient } from '../generated/sqlite/client.js'
import { ensureSqliteDirectory, providerOf, sqlitePath, type Provider } from './database-url.js'
import { postgresSql, sqliteSql, type Sql, type SqliteConnection } from './sql.js'

export type Database = SqliteClient
export type { User, Session } from '../generated/sqlite/client.js'

export interface OpenDatabase {
  db: Database
  provider: Provider
  /** The same connections without Prisma, for the hot paths. */
  sql: Sql
  /** Resolves when the database answers a trivial query. */
  ping(): Promise<void>
  close(): Promise<void>
}

async function ping (db: Database): Promise<void> {
  await db.$queryRawUnsafe('SELECT 1')
}

export interface DatabaseOptions {
  /** SQLite only: see SQLITE_SYNCHRONOUS in config.ts. */
  sqliteSynchronous?: 'NORMAL' | 'FULL'
}

export async function openDatabase (url: string, { sqliteSynchronous = 'NORMAL' }: DatabaseOptions = {}): Promise<OpenDatabase> {
  const provider = providerOf(url)
  if (provider === 'postgresql') {
    const [{ PrismaClient: PostgresClient }, { PrismaPg }, { default: pg }] = await Promise.all([
      import('../generated/postgresql/client.js'),
      import('@prisma/adapter-pg'),
      import('pg')
    ])
    // A server that does not answer fails the request (503) after 5 s instead of holding it until TCP gives up.
    const pool = new pg.Pool({ connectionString: url, max: 10, connectionTimeoutMillis: 5000 })
    const client = new PostgresClient({ adapter: new PrismaPg(pool, { disposeExternalPool: true }) })
    await client.$connect()
    // Same models, different provider: the query API the code uses is identical.
    const db = client as unknown as Database
    return { db, provider, sql: postgresSql(pool, pg.types), ping: () => ping(db), close: () => client.$disconnect() }
  }
  ensureSqliteDirectory(url)
  const [{ PrismaClient: SqliteClient }, { PrismaBetterSQLite3 }] = await Promise.all([
    import('../generated/sqlite/client.js'),
    import('@prisma/adapter-better-sqlite3')
  ])
  const factory = new PrismaBetterSQLite3({ url: `file:${sqlitePath(url)}` })
  // The adapter opens one better-sqlite3 connection; keep a hold of it for the hot paths.
  let connection: SqliteConnection | undefined
  const db = new SqliteClient({
    adapter: {
      provider: factory.provider,
      adapterName: factory.adapterName,
      async connect () {
        const adapter = await factory.connect()
        connection = (adapter as unknown as { client: SqliteConnection }).client
        return adapter
      }
    }
  })
  // WAL lets readers proceed while a writer commits; it stays set in the file.
  await db.$queryRawUnsafe('PRAGMA journal_mode = WAL')
  await db.$queryRawUnsafe(`PRAGMA synchronous = ${sqliteSynchronous === 'FULL' ? 'FULL' : 'NORMAL'}`)
  await db.$queryRawUnsafe('PRAGMA busy_timeout = 5000')
  if (connection === undefined) throw new Error('the SQLite adapter did not open a connection')
  return { db, provider, sql: sqliteSql(connection), ping: () => ping(db), close: () => db.$disconnect() }
}

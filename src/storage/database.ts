// Opens the database DATABASE_URL names, through two query layers on the
// same model (prisma/models.prisma):
//
// - Kysely, typed by the row types generated from the model, for the hot
//   paths (logins, refreshes, lookups) and every write of more than one
//   statement. Each statement is written once for both databases. Prisma
//   6.19 spends 0.3–1.5 ms of CPU in its query interpreter on every
//   statement; Kysely builds the same SQL in microseconds.
// - Prisma, for the cold paths (administration, listings), through the
//   narrow `ColdPrisma` interface both generated clients satisfy, and for
//   the schema and its migrations.
//
// Only the provider in use is loaded: each Prisma client brings its own
// query compiler, which costs memory and start time.
import { Mutex } from 'async-mutex'
import { CamelCasePlugin, Kysely, PostgresDialect, sql } from 'kysely'
import type { Client as PgClient } from 'pg'
import type { DB } from '../generated/kysely/database.js'
import type { ColdPrisma } from './cold-prisma.js'
import { behindTransactionPooler, ensureSqliteDirectory, providerOf, sqlitePath, type Provider } from './database-url.js'
import { statementName, type QueryRunner } from './prepared.js'
import { SERVING_CHECKPOINT_PAGES, startCheckpointer } from './sqlite-checkpointer.js'
import { sqliteAccess } from './sqlite-dialect.js'

export type Db = Kysely<DB>
export type { ColdPrisma }

export interface Database {
  provider: Provider
  /** Typed statements: the hot paths and every multi-statement write. */
  db: Db
  /** The cold paths: administration and listings. */
  prisma: ColdPrisma
  /** Runs the hot paths' prepared statements (prepared.ts), straight on the connection where the provider allows. */
  run: QueryRunner
  /** Runs `work` in one transaction, with a runner for prepared statements. */
  transaction: <T>(work: (run: QueryRunner) => Promise<T>) => Promise<T>
  /** Resolves when the database answers a trivial query. */
  ping(): Promise<void>
  close(): Promise<void>
}

export interface DatabaseOptions {
  /** SQLite only: see SQLITE_SYNCHRONOUS in config.ts. */
  sqliteSynchronous?: 'NORMAL' | 'FULL'
  /**
   * PostgreSQL only: a connection failed outside a query (the server
   * restarted or went away). The pool drops it and connects again on the
   * next query.
   */
  onConnectionError?: (err: Error) => void
  /**
   * SQLite only: the worker thread that checkpoints the WAL stopped on an
   * error. The serving connection then checkpoints by itself, as SQLite
   * does by default, on the thread that serves requests.
   */
  onCheckpointerFailure?: (err: Error) => void
  /** SQLite only: the worker's checkpoints started failing (a full disk), with the first error; undefined once one succeeds again. */
  onCheckpointsFailing?: (err: Error | undefined) => void
}

/** Column names in the database are snake_case; the model and the code say camelCase. */
const plugins = [new CamelCasePlugin()]

const TIMESTAMP_WITHOUT_TIME_ZONE = 1114

/** Either provider's two layers as one Database; `client` is the Prisma client to disconnect. */
function database (provider: Provider, db: Db, prisma: ColdPrisma, client: { $disconnect (): Promise<void> }, direct?: Pick<Database, 'run' | 'transaction'> & { stop (): Promise<void> }): Database {
  return {
    provider,
    db,
    prisma,
    run: direct?.run ?? db,
    transaction: direct?.transaction ?? (async (work) => await db.transaction().execute(work)),
    ping: async () => { await sql`SELECT 1`.execute(db) },
    async close () {
      await direct?.stop()
      await client.$disconnect()
      // Kysely ends the connection (SQLite) or the pool (PostgreSQL) Prisma shared.
      await db.destroy()
    }
  }
}

/**
 * pg's client, running the hot statements (storage/prepared.ts) as named
 * statements: PostgreSQL parses and plans each once per connection, not on
 * every run. Any other query (Prisma's, migrations, listings) runs unnamed,
 * and so does every query behind a transaction pooler, whose next
 * statement may reach a server connection that never saw the name.
 */
function namingHotStatements (Client: typeof PgClient): typeof PgClient {
  return class extends Client {
    override query (...args: any[]): any {
      const [text, values, callback] = args
      const name = typeof text === 'string' && Array.isArray(values) && callback === undefined ? statementName(text) : undefined
      return super.query.apply(this, (name === undefined ? args : [{ name, text, values }]) as never)
    }
  }
}

async function openPostgres (url: string, onConnectionError: (err: Error) => void): Promise<Database> {
  const [{ PrismaClient }, { PrismaPg }, { default: pg }] = await Promise.all([
    import('../generated/postgresql/client.js'),
    import('@prisma/adapter-pg'),
    import('pg')
  ])
  const pool = new pg.Pool({
    connectionString: url,
    Client: behindTransactionPooler(url) ? pg.Client : namingHotStatements(pg.Client),
    max: 10,
    // A server that does not answer fails the request (503) after 5 s instead of holding it until TCP gives up.
    connectionTimeoutMillis: 5000,
    // timestamp(3) columns hold UTC; pg would read them in the local time zone. (Prisma parses its own.)
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') => oid === TIMESTAMP_WITHOUT_TIME_ZONE
        ? (text: string) => new Date(`${text.replace(' ', 'T')}Z`)
        : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser
    }
  })
  // Without a listener, a connection's failure would end the process: the pool listens to its
  // connections only while they are idle, so one in use (between the statements of a
  // transaction, or just being handed back) that breaks needs a listener of its own.
  pool.on('error', onConnectionError)
  pool.on('connect', (client) => { client.on('error', onConnectionError) })
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) })
  return database('postgresql', new Kysely<DB>({ dialect: new PostgresDialect({ pool }), plugins }), prisma, prisma)
}

/**
 * The turns on each SQLite file, shared by every connection this process
 * opens to it (its Prisma and Kysely connections, and those of any other
 * gateway built in the same process, as the tests do). Connections from
 * other processes are SQLite's own business: its busy handler waits for them
 * without blocking anything of theirs.
 */
const turnsByFile = new Map<string, Mutex>()

function turnsOn (path: string): Mutex {
  let turns = turnsByFile.get(path)
  if (turns === undefined) turnsByFile.set(path, turns = new Mutex())
  return turns
}

async function openSqlite (url: string, synchronous: 'NORMAL' | 'FULL', onFailure: (err: Error) => void, onFailing: (err: Error | undefined) => void): Promise<Database> {
  ensureSqliteDirectory(url)
  const [{ PrismaClient }, { PrismaBetterSQLite3 }, { default: BetterSqlite }] = await Promise.all([
    import('../generated/sqlite/client.js'),
    import('@prisma/adapter-better-sqlite3'),
    import('better-sqlite3')
  ])
  const path = sqlitePath(url)
  // Another process may be writing: wait for it (up to 5 s) instead of failing at once.
  const options = { timeout: 5000 }
  const connection = new BetterSqlite(path, options)
  // WAL lets readers proceed while a writer commits; it stays set in the file.
  connection.pragma('journal_mode = WAL')
  connection.pragma(`synchronous = ${synchronous}`)
  connection.pragma(`wal_autocheckpoint = ${SERVING_CHECKPOINT_PAGES}`)
  // A transaction's savepoints journal the old contents of the pages they change; past 64 KiB
  // (a login once the tables have grown, logout everywhere) SQLite would move that journal to a
  // file in the first writable temporary folder, which a read-only root filesystem lacks. In
  // memory it is a few hundred KiB at most for the hot paths, and no file is made and unlinked.
  connection.pragma('temp_store = MEMORY')
  const turns = turnsOn(path)
  const client = new PrismaClient({ adapter: new PrismaBetterSQLite3({ url: `file:${path}`, ...options }) })
  const prisma: ColdPrisma = client.$extends({
    query: { async $allOperations ({ args, query }) { return await turns.runExclusive(() => query(args)) } }
  })
  const access = sqliteAccess(connection, turns)
  // Should the worker fail, this connection checkpoints as often as SQLite's default again.
  const checkpointer = startCheckpointer(path, { synchronous, ...options }, (err) => {
    if (connection.open) connection.pragma('wal_autocheckpoint = 1000')
    onFailure(err)
  }, onFailing)
  return database('sqlite', new Kysely<DB>({ dialect: access.dialect, plugins }), prisma, client, { ...access, stop: checkpointer.stop })
}

export async function openDatabase (url: string, { sqliteSynchronous = 'NORMAL', onConnectionError = () => {}, onCheckpointerFailure = () => {}, onCheckpointsFailing = () => {} }: DatabaseOptions = {}): Promise<Database> {
  return providerOf(url) === 'postgresql' ? openPostgres(url, onConnectionError) : openSqlite(url, sqliteSynchronous, onCheckpointerFailure, onCheckpointsFailing)
}

// Opens the Prisma client for the provider DATABASE_URL names. Both
// generated clients come from the same models, so the rest of the code is
// written against one of them.
import { PrismaBetterSQLite3 } from '@prisma/adapter-better-sqlite3'
import { PrismaPg } from '@prisma/adapter-pg'
import { PrismaClient as SqliteClient } from '../generated/sqlite/client.js'
import { PrismaClient as PostgresClient } from '../generated/postgresql/client.js'
import { ensureSqliteDirectory, providerOf, sqlitePath, type Provider } from './database-url.js'

export type Database = InstanceType<typeof SqliteClient>
export type { User, Session } from '../generated/sqlite/client.js'

export interface OpenDatabase {
  db: Database
  provider: Provider
  /** Resolves when the database answers a trivial query. */
  ping(): Promise<void>
  close(): Promise<void>
}

async function ping (db: Database): Promise<void> {
  await db.$queryRawUnsafe('SELECT 1')
}

export async function openDatabase (url: string): Promise<OpenDatabase> {
  const provider = providerOf(url)
  if (provider === 'postgresql') {
    const client = new PostgresClient({ adapter: new PrismaPg({ connectionString: url, max: 10 }) })
    await client.$connect()
    // Same models, different provider: the query API the code uses is identical.
    const db = client as unknown as Database
    return { db, provider, ping: () => ping(db), close: () => client.$disconnect() }
  }
  ensureSqliteDirectory(url)
  const db = new SqliteClient({ adapter: new PrismaBetterSQLite3({ url: `file:${sqlitePath(url)}` }) })
  // WAL lets readers proceed while a writer commits; it stays set in the file.
  await db.$queryRawUnsafe('PRAGMA journal_mode = WAL')
  await db.$queryRawUnsafe('PRAGMA busy_timeout = 5000')
  return { db, provider, ping: () => ping(db), close: () => db.$disconnect() }
}

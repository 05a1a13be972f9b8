// Shared by the server and prisma.config.ts so that `npm start` migrates
// exactly the database the gateway then opens.
import { accessSync, constants, existsSync, mkdirSync, statSync } from 'node:fs'
import { dirname, resolve } from 'node:path'

export const DEFAULT_DATABASE_URL = 'file:./data/authgate.db'

export type Provider = 'sqlite' | 'postgresql'

/** Whether the URL names a PostgreSQL server (`postgresql://` or `postgres://`). */
export function isPostgresUrl (url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url)
}

export function providerOf (url: string): Provider {
  if (isPostgresUrl(url)) return 'postgresql'
  if (url.startsWith('file:')) return 'sqlite'
  throw new Error(`DATABASE_URL must start with "file:" (SQLite) or "postgresql://" (PostgreSQL), got "${url.split(':')[0]}:..."`)
}

/**
 * Whether a PostgreSQL URL goes through a pooler that hands each transaction
 * to any of its server connections (PgBouncer in transaction mode,
 * Supavisor): `?pgbouncer=true`, as Prisma spells it. Nothing tied to one
 * server connection may then be used: no named prepared statement.
 */
export function behindTransactionPooler (url: string): boolean {
  // Read from the query alone: no URL makes this throw; pg reports a malformed one when it connects.
  return providerOf(url) === 'postgresql' && new URLSearchParams(url.split('?')[1] ?? '').get('pgbouncer') === 'true'
}

/** The absolute path of a SQLite `file:` URL, relative paths taken from the working directory. */
export function sqlitePath (url: string): string {
  const path = url.slice('file:'.length).split('?')[0] ?? ''
  if (path === '') throw new Error('DATABASE_URL "file:" needs a path')
  return resolve(path)
}

/** The SQLite file's folder (or file) cannot be written by this process; the message is one line naming it. */
export class DataDirectoryError extends Error {
  override name = 'DataDirectoryError'
}

/** Who owns `path` and who this process is, for a message that lets an operator fix a mount. */
function ownership (path: string): string {
  const { uid, gid } = statSync(path)
  return `owned by ${uid}:${gid}; this process runs as ${process.getuid?.() ?? '?'}:${process.getgid?.() ?? '?'}`
}

/**
 * Makes the SQLite file's folder if missing and makes sure this process can
 * write there (SQLite adds -wal and -shm files beside the database), so that
 * a bind mount with the wrong owner fails with a line that says so instead
 * of a bare "External error" from deep in the driver.
 */
export function ensureSqliteDirectory (url: string): void {
  const file = sqlitePath(url)
  const folder = dirname(file)
  try {
    mkdirSync(folder, { recursive: true })
  } catch (err) {
    throw new DataDirectoryError(`cannot create the SQLite database folder ${folder}: ${(err as Error).message}`)
  }
  try {
    accessSync(folder, constants.W_OK | constants.X_OK)
  } catch {
    throw new DataDirectoryError(`the SQLite database folder ${folder} is not writable (${ownership(folder)}): make it writable for this user, e.g. chown it to that uid`)
  }
  if (existsSync(file)) {
    try {
      accessSync(file, constants.R_OK | constants.W_OK)
    } catch {
      throw new DataDirectoryError(`the SQLite database file ${file} is not writable (${ownership(file)}): make it writable for this user, e.g. chown it to that uid`)
    }
  }
}

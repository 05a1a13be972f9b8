// Shared by the server and prisma.config.ts so that `npm start` migrates
// exactly the database the gateway then opens.
import { mkdirSync } from 'node:fs'
import { dirname, resolve } from 'node:path'

export const DEFAULT_DATABASE_URL = 'file:./data/authgate.db'

export type Provider = 'sqlite' | 'postgresql'

export function providerOf (url: string): Provider {
  if (/^postgres(ql)?:\/\//i.test(url)) return 'postgresql'
  if (url.startsWith('file:')) return 'sqlite'
  throw new Error(`DATABASE_URL must start with "file:" (SQLite) or "postgresql://" (PostgreSQL), got "${url.split(':')[0]}:..."`)
}

/** The absolute path of a SQLite `file:` URL, relative paths taken from the working directory. */
export function sqlitePath (url: string): string {
  const path = url.slice('file:'.length).split('?')[0] ?? ''
  if (path === '') throw new Error('DATABASE_URL "file:" needs a path')
  return resolve(path)
}

export function ensureSqliteDirectory (url: string): void {
  mkdirSync(dirname(sqlitePath(url)), { recursive: true })
}

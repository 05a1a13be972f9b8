// Where test databases come from: a migrated template per provider, made once
// per run by migrate-templates.mjs (see there), copied for every test.
import { createHash, randomBytes } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import pg from 'pg'
import { postgres } from '../support/services.mjs'

export const ROOT = resolve(import.meta.dirname, '..', '..')
export const WORK_DIR = join(ROOT, '.tap', 'databases')
export const SQLITE_TEMPLATE = join(WORK_DIR, 'template.db')
// Named as in migrate-templates.mjs: one template per checkout.
export const PG_TEMPLATE = 'authgate_template_' + createHash('sha256').update(ROOT).digest('hex').slice(0, 8)

export type TestProvider = 'sqlite' | 'postgresql'

/** Whether PostgreSQL can be used here, and where (see test/support/services.mjs). */
export const POSTGRES = await postgres()

export function postgresServerUrl (): string | undefined {
  return POSTGRES.ok ? POSTGRES.value : undefined
}

/** The same server as TEST_DATABASE_URL, another database. */
export function postgresUrlFor (database: string): string {
  const url = new URL(postgresServerUrl() as string)
  url.pathname = '/' + database
  return url.toString()
}

export async function withPostgres<T> (fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: postgresServerUrl() })
  await client.connect()
  try {
    return await fn(client)
  } finally {
    await client.end()
  }
}

export function uniqueName (prefix: string): string {
  return `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`
}

export function ensureWorkDir (): void {
  mkdirSync(WORK_DIR, { recursive: true })
}

// Whether the database has every migration this build ships (migrate.ts
// applies them at start; readiness refuses traffic while one is missing):
// the committed migration folders are compared with Prisma's own
// `_prisma_migrations` table.
import { existsSync, readdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { sql, type QueryExecutorProvider } from 'kysely'
import type { Provider } from './database-url.js'
import { isDatabaseUnavailable } from './unavailable.js'

/**
 * The `prisma/<provider>/migrations` folder of this checkout or image, found
 * upwards from this file so it works from `src/` (tests) and `dist/src/` alike.
 */
export function migrationsDirectory (provider: Provider, from = import.meta.dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'prisma', provider, 'migrations')
    if (existsSync(candidate)) return candidate
    if (dirname(dir) === dir) throw new Error(`no prisma/${provider}/migrations folder above ${from}`)
  }
}

/** The names of the migrations shipped in `directory`, oldest first. */
export function shippedMigrations (directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true })
    .filter(entry => entry.isDirectory() && existsSync(join(directory, entry.name, 'migration.sql')))
    .map(entry => entry.name)
    .sort()
}

/** Migrations Prisma has finished and not rolled back; none when its table does not exist yet. */
export async function appliedMigrations (db: QueryExecutorProvider): Promise<Set<string>> {
  try {
    const { rows } = await sql<{ name: string }>`SELECT migration_name AS name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`.execute(db)
    return new Set(rows.map(r => r.name))
  } catch (err) {
    if (isDatabaseUnavailable(err)) throw err
    // A database never migrated has no such table: nothing is applied.
    if (/does not exist|no such table/i.test(String((err as Error).message))) return new Set()
    throw err
  }
}

/** A check of the shipped migrations against the database: resolves to the names not applied yet. */
export function pendingMigrationsCheck (db: QueryExecutorProvider, provider: Provider, directory = migrationsDirectory(provider)) {
  const shipped = shippedMigrations(directory)
  return async (): Promise<string[]> => {
    const applied = await appliedMigrations(db)
    return shipped.filter(name => !applied.has(name))
  }
}

// The committed migrations build exactly the schema prisma/models.prisma
// describes: a database migrated from nothing and one Prisma creates straight
// from the model (`prisma db push`) have the same columns, indexes and
// foreign keys, on both providers.
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import BetterSqlite from 'better-sqlite3'
import pg from 'pg'
import type { Test } from 'tap'
import { sqlitePath } from '../../src/storage/database-url.js'
import { ROOT } from '../setup/databases.js'
import { eachProvider, emptyDatabaseUrl, type TestProvider } from '../helper.js'

const run = promisify(execFile)

async function describeSqlite (url: string) {
  const db = new BetterSqlite(sqlitePath(url), { readonly: true })
  try {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_prisma%' ORDER BY name").all() as Array<{ name: string }>
    return Object.fromEntries(tables.map(({ name }) => [name, {
      columns: (db.prepare(`PRAGMA table_info("${name}")`).all() as Array<Record<string, unknown>>).map(c => [c.name, c.type, c.notnull, c.dflt_value, c.pk]).sort(),
      indexes: (db.prepare(`PRAGMA index_list("${name}")`).all() as Array<Record<string, unknown>>)
        .map(i => [i.name, i.unique, (db.prepare(`PRAGMA index_info("${i.name as string}")`).all() as Array<{ name: string }>).map(c => c.name)]).sort(),
      foreignKeys: (db.prepare(`PRAGMA foreign_key_list("${name}")`).all() as Array<Record<string, unknown>>).map(f => [f.table, f.from, f.to, f.on_delete]).sort()
    }]))
  } finally {
    db.close()
  }
}

async function describePostgres (url: string) {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const query = async (text: string) => (await client.query({ text, rowMode: 'array' })).rows.map(r => r.join(' | '))
    return {
      columns: await query("SELECT table_name, column_name, data_type, is_nullable, coalesce(column_default, '') FROM information_schema.columns WHERE table_schema = 'public' AND table_name NOT LIKE '_prisma%' ORDER BY 1, 2"),
      indexes: await query("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename NOT LIKE '_prisma%' ORDER BY 1"),
      constraints: await query("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE connamespace = 'public'::regnamespace AND conname NOT LIKE '_prisma%' ORDER BY 1")
    }
  } finally {
    await client.end()
  }
}

const describe = (provider: TestProvider, url: string) => provider === 'sqlite' ? describeSqlite(url) : describePostgres(url)

async function migrated (t: Test, provider: TestProvider): Promise<string> {
  const url = await emptyDatabaseUrl(t, provider)
  await run(process.execPath, [join(ROOT, 'dist', 'src', 'cli', 'migrate.js')], { env: { ...process.env, DATABASE_URL: url } })
  return url
}

async function pushed (t: Test, provider: TestProvider): Promise<string> {
  const url = await emptyDatabaseUrl(t, provider)
  await run(join(ROOT, 'node_modules', '.bin', 'prisma'), ['db', 'push', '--skip-generate'], { cwd: ROOT, env: { ...process.env, DATABASE_URL: url } })
  return url
}

eachProvider('the migrations build exactly the schema the model describes', async (t, provider) => {
  const [fromMigrations, fromModel] = await Promise.all([migrated(t, provider), pushed(t, provider)])
  const expected = await describe(provider, fromModel)
  t.ok(Object.keys(expected).length > 0)
  t.same(await describe(provider, fromMigrations), expected)
})

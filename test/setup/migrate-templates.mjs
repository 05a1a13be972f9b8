// Run by `npm test` before the suites: migrates a template database per
// provider with `prisma migrate deploy`, what `npm start` and the container
// run. test/setup/databases.ts copies them for every test. (Not tap's
// `before` hook: tap measures coverage of that script even with coverage off,
// and fails the run on it.)
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdirSync, rmSync } from 'node:fs'
import { join, resolve } from 'node:path'
import pg from 'pg'

const ROOT = resolve(import.meta.dirname, '..', '..')
const SQLITE_TEMPLATE = join(ROOT, '.tap', 'databases', 'template.db')
// One template per checkout, so runs from two checkouts on one server do not collide.
const PG_TEMPLATE = 'authgate_template_' + createHash('sha256').update(ROOT).digest('hex').slice(0, 8)
const serverUrl = process.env.TEST_DATABASE_URL || undefined

function migrate (databaseUrl) {
  execFileSync(join(ROOT, 'node_modules', '.bin', 'prisma'), ['migrate', 'deploy'], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: databaseUrl },
    stdio: 'pipe'
  })
}

mkdirSync(join(ROOT, '.tap', 'databases'), { recursive: true })
for (const suffix of ['', '-wal', '-shm']) rmSync(SQLITE_TEMPLATE + suffix, { force: true })
migrate(`file:${SQLITE_TEMPLATE}`)

if (serverUrl !== undefined) {
  const client = new pg.Client({ connectionString: serverUrl })
  await client.connect()
  try {
    await client.query(`DROP DATABASE IF EXISTS ${PG_TEMPLATE} WITH (FORCE)`)
    await client.query(`CREATE DATABASE ${PG_TEMPLATE}`)
  } finally {
    await client.end()
  }
  const url = new URL(serverUrl)
  url.pathname = '/' + PG_TEMPLATE
  migrate(url.toString())
} else if (process.env.REQUIRE_POSTGRES === '1') {
  throw new Error('REQUIRE_POSTGRES=1 but TEST_DATABASE_URL is not set: the PostgreSQL suites would not run')
}

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
import { postgres } from '../support/services.mjs'

const ROOT = resolve(import.meta.dirname, '..', '..')
const SQLITE_TEMPLATE = join(ROOT, '.tap', 'databases', 'template.db')
// One template per checkout, so runs from two checkouts on one server do not collide.
const PG_TEMPLATE = 'authgate_template_' + createHash('sha256').update(ROOT).digest('hex').slice(0, 8)
const server = await postgres()

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

if (server.ok) {
  const client = new pg.Client({ connectionString: server.value })
  await client.connect()
  try {
    await client.query(`DROP DATABASE IF EXISTS ${PG_TEMPLATE} WITH (FORCE)`)
    await client.query(`CREATE DATABASE ${PG_TEMPLATE}`)
  } finally {
    await client.end()
  }
  const url = new URL(server.value)
  url.pathname = '/' + PG_TEMPLATE
  migrate(url.toString())
} else {
  // The suites report each PostgreSQL run as skipped (or failed, see services.mjs) with this reason.
  process.stderr.write(`PostgreSQL suites cannot run: ${server.reason}\n`)
}

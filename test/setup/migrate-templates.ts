// Runs once before the suites: migrates a template database per provider.
import { rmSync } from 'node:fs'
import { ensureWorkDir, migrate, PG_TEMPLATE, postgresServerUrl, postgresUrlFor, SQLITE_TEMPLATE, withPostgres } from './databases.js'

ensureWorkDir()
for (const suffix of ['', '-wal', '-shm']) rmSync(SQLITE_TEMPLATE + suffix, { force: true })
migrate(`file:${SQLITE_TEMPLATE}`)

if (postgresServerUrl() !== undefined) {
  await withPostgres(async (client) => {
    await client.query(`DROP DATABASE IF EXISTS ${PG_TEMPLATE} WITH (FORCE)`)
    await client.query(`CREATE DATABASE ${PG_TEMPLATE}`)
  })
  migrate(postgresUrlFor(PG_TEMPLATE))
} else if (process.env.REQUIRE_POSTGRES === '1') {
  throw new Error('REQUIRE_POSTGRES=1 but TEST_DATABASE_URL is not set: the PostgreSQL suites would not run')
}

// Builds the gateway the way the server does, against a fresh database of
// each provider under test, and closes everything at teardown.
import { randomBytes } from 'node:crypto'
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { buildApp, type App, type BuildOptions } from '../src/app.js'
import { loadConfig, type Config } from '../src/config.js'
import type { Clock } from '../src/clock.js'
import {
  PG_TEMPLATE, POSTGRES, postgresUrlFor, SQLITE_TEMPLATE, uniqueName, WORK_DIR, withPostgres, ensureWorkDir,
  type TestProvider
} from './setup/databases.js'
import { testWith, type Availability } from './support/services.mjs'

export type { Test, TestProvider }

/** The providers suites run on here: SQLite always, PostgreSQL when it answers. */
export const PROVIDERS: TestProvider[] = POSTGRES.ok ? ['sqlite', 'postgresql'] : ['sqlite']

/** What a suite on the provider needs besides itself: SQLite nothing, PostgreSQL the server. */
export function providerNeeds (provider: TestProvider): Availability[] {
  return provider === 'postgresql' ? [POSTGRES] : []
}

if (!existsSync(SQLITE_TEMPLATE)) {
  throw new Error('no template database: run `npm test`, or `node test/setup/migrate-templates.mjs` before `npx tap`')
}

export const ADMIN = { email: 'admin@example.com', password: 'admin-password-123' }

/**
 * Runs `fn` once per provider, each as its own subtest; without PostgreSQL
 * its subtest is reported as skipped with the reason (failed under REQUIRE_ALL=1).
 */
export function eachProvider (name: string, fn: (t: Test, provider: TestProvider) => Promise<void>): void {
  for (const provider of ['sqlite', 'postgresql'] as const) {
    void testWith(t, `${name} [${provider}]`, providerNeeds(provider), (tt) => fn(tt, provider))
  }
}

/** A migrated, empty database of the provider, removed at teardown. */
export async function freshDatabaseUrl (t: Test, provider: TestProvider): Promise<string> {
  if (provider === 'sqlite') {
    ensureWorkDir()
    const file = join(WORK_DIR, uniqueName('test') + '.db')
    copyFileSync(SQLITE_TEMPLATE, file)
    t.teardown(() => { for (const s of ['', '-wal', '-shm']) rmSync(file + s, { force: true }) })
    return `file:${file}`
  }
  const name = uniqueName('authgate_test')
  await withPostgres(async (client) => {
    // CREATE DATABASE ... TEMPLATE fails while another copy is being made; retry.
    for (let attempt = 0; ; attempt++) {
      try {
        await client.query(`CREATE DATABASE ${name} TEMPLATE ${PG_TEMPLATE}`)
        return
      } catch (err) {
        if (attempt >= 50 || !/being accessed by other users/.test((err as Error).message)) throw err
        await new Promise(resolve => setTimeout(resolve, 50 + Math.random() * 100))
      }
    }
  })
  t.teardown(() => withPostgres(client => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)))
  return postgresUrlFor(name)
}

/** A database of the provider with nothing in it, not even the schema (a first start), removed at teardown. */
export async function emptyDatabaseUrl (t: Test, provider: TestProvider): Promise<string> {
  if (provider === 'sqlite') {
    ensureWorkDir()
    const file = join(WORK_DIR, uniqueName('empty') + '.db')
    t.teardown(() => { for (const s of ['', '-wal', '-shm', '.migrate-lock']) rmSync(file + s, { force: true, recursive: true }) })
    return `file:${file}`
  }
  const name = uniqueName('authgate_empty')
  await withPostgres(client => client.query(`CREATE DATABASE ${name}`))
  t.teardown(() => withPostgres(client => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)))
  return postgresUrlFor(name)
}

/** Settings for a test gateway: a fresh data directory, a random secret, quick argon2 parameters. */
export function testConfig (databaseUrl: string, env: Record<string, string> = {}): Config {
  const dataDir = mkdtempSync(join(tmpdir(), 'authgate-test-'))
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }))
  return loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    DATABASE_URL: databaseUrl,
    DATA_DIR: dataDir,
    JWT_SECRET: randomBytes(32).toString('base64url'),
    // argon2id as in production, with the smallest memory the settings allow so suites stay quick.
    ARGON2_MEMORY_KIB: '8192',
    ARGON2_TIME_COST: '1',
    ADMIN_EMAIL: ADMIN.email,
    ADMIN_PASSWORD: ADMIN.password,
    // Suites send hundreds of requests from one address within seconds; the rate-limit tests set their own limits.
    RATE_LIMIT_MAX: '1000000',
    LOGIN_RATE_LIMIT_MAX: '1000000',
    ...env
  })
}

export interface TestApp {
  app: App
  config: Config
  databaseUrl: string
}

export async function buildTestApp (
  t: Test,
  provider: TestProvider,
  { env = {}, ...options }: BuildOptions & { env?: Record<string, string> } = {}
): Promise<TestApp> {
  const databaseUrl = await freshDatabaseUrl(t, provider)
  const config = testConfig(databaseUrl, env)
  const app = await buildApp(config, { announce: () => {}, ...options })
  t.teardown(() => app.close())
  await app.ready()
  return { app, config, databaseUrl }
}

/** A clock tests move by hand. */
export function manualClock (start = Date.now()): Clock & { advance(seconds: number): void } {
  let now = start
  return { now: () => now, advance (seconds: number) { now += seconds * 1000 } }
}

export async function login (app: App, email = ADMIN.email, password = ADMIN.password) {
  const res = await app.inject({ method: 'POST', url: '/auth/login', payload: { email, password } })
  if (res.statusCode !== 201) throw new Error(`login failed: ${res.statusCode} ${res.body}`)
  const body = res.json() as { access_token: string, refresh_token: string }
  return { accessToken: body.access_token, refreshToken: body.refresh_token }
}

export async function createUser (app: App, fields: Record<string, unknown>) {
  const { accessToken } = await login(app)
  const res = await app.inject({ method: 'POST', url: '/users', headers: { authorization: `Bearer ${accessToken}` }, payload: fields })
  if (res.statusCode !== 201) throw new Error(`create user failed: ${res.statusCode} ${res.body}`)
  return res.json() as { id: number, email: string, username: string }
}

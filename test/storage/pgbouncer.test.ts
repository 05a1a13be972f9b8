// PostgreSQL behind PgBouncer in transaction mode (`?pgbouncer=true`, as
// Prisma spells it): every statement unnamed, migrations over DIRECT_URL.
// A real PgBouncer with two server connections for the gateway's ten.
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import t from 'tap'
import { buildApp, type App } from '../../src/app.js'
import { ADMIN, emptyDatabaseUrl, freshDatabaseUrl, testConfig } from '../helper.js'
import { startGateway } from '../deploy/support/processes.js'
import { POSTGRES } from '../setup/databases.js'
import { startPgBouncer } from '../support/pgbouncer.js'
import { testWith, tool } from '../support/services.mjs'

interface Answer { status: number, body: any }
type Ask = (method: string, url: string, body?: unknown, token?: string) => Promise<Answer>

function asking (app: App): Ask {
  return async (method, url, body, token) => {
    const res = await app.inject({ method: method as 'GET', url, ...(body !== undefined ? { payload: body as object } : {}), headers: token !== undefined ? { authorization: `Bearer ${token}` } : {} })
    return { status: res.statusCode, body: res.body === '' ? undefined : res.json() }
  }
}

function overHttp (base: string): Ask {
  return async (method, url, body, token) => {
    const res = await fetch(base + url, {
      method,
      headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {})
    })
    const text = await res.text()
    return { status: res.status, body: text === '' ? undefined : JSON.parse(text) }
  }
}

const SESSIONS = 12
const ROUNDS = 4

/**
 * Logins, then rounds of rotations of every session at once (PostgreSQL's
 * shared rotation statement): what each answered, the first tokens of the
 * first session and the latest of each.
 */
async function workload (ask: Ask) {
  const logins = await Promise.all(Array.from({ length: SESSIONS }, () => ask('POST', '/auth/login', ADMIN)))
  const statuses = logins.map(r => r.status)
  let tokens = logins.map(r => r.body as { access_token: string, refresh_token: string })
  const first = tokens[0]
  for (let round = 0; round < ROUNDS; round++) {
    const rotated = await Promise.all(tokens.map(tk => ask('POST', '/auth/refresh-token', { refreshToken: tk.refresh_token })))
    statuses.push(...rotated.map(r => r.status))
    tokens = rotated.map((r, i) => r.status === 201 ? r.body : tokens[i])
  }
  return { statuses, first, tokens }
}

const needs = [POSTGRES, tool('pgbouncer')]

void testWith(t, 'a first start behind PgBouncer in transaction mode migrates over DIRECT_URL and serves every path', needs, async (t) => {
  const bouncer = await startPgBouncer(t, tool('pgbouncer').value, POSTGRES.value)
  const direct = await emptyDatabaseUrl(t, 'postgresql')
  const pooled = `${bouncer.urlFor(direct)}?pgbouncer=true`
  const env = {
    DATABASE_URL: pooled, DIRECT_URL: direct,
    JWT_SECRET: randomBytes(32).toString('base64url'), ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password,
    ARGON2_MEMORY_KIB: '8192', ARGON2_TIME_COST: '1', RATE_LIMIT_MAX: '1000000', LOGIN_RATE_LIMIT_MAX: '1000000', REVOCATION_POLL_MS: '100'
  }
  const gateway = await startGateway(env)
  t.teardown(() => { gateway.child.kill('SIGKILL') })
  t.match(gateway.output(), /applied database migrations/, 'the schema was applied at start')
  const db = new pg.Client({ connectionString: direct })
  await db.connect()
  const applied = (await db.query('SELECT count(*)::int AS n FROM _prisma_migrations WHERE finished_at IS NOT NULL')).rows[0].n as number
  await db.end()
  t.ok(applied > 0, `migrations recorded (${applied})`)

  const ask = overHttp(`http://127.0.0.1:${gateway.port}`)
  const { statuses, first, tokens } = await workload(ask)
  t.same(statuses.filter(s => s !== 201), [], `${SESSIONS} logins and ${SESSIONS * ROUNDS} rotations, ${SESSIONS} at once, all answered`)

  // A second instance on the same pooled database, learning revocations by polling through the pooler.
  const other = await buildApp(testConfig(pooled, { DIRECT_URL: direct, REVOCATION_POLL_MS: '100', JWT_SECRET: env.JWT_SECRET }), { announce: () => {} })
  t.teardown(() => other.close())
  await other.ready()
  const elsewhere = asking(other)
  const live = tokens[1] as { access_token: string, refresh_token: string }
  t.equal((await elsewhere('GET', '/auth/verify', undefined, live.access_token)).status, 200, 'the other instance accepts a live token')

  // Replaying the first session's first refresh token ends that session.
  t.equal((await ask('POST', '/auth/refresh-token', { refreshToken: first?.refresh_token })).status, 401, 'a replayed refresh token is refused')
  t.equal((await ask('POST', '/auth/refresh-token', { refreshToken: tokens[0]?.refresh_token })).status, 401, 'and its session has ended')

  const loggedOut = await ask('POST', '/auth/logout-all', undefined, live.access_token)
  t.equal(loggedOut.status, 200, 'logout everywhere')
  t.equal((await ask('GET', '/auth/verify', undefined, live.access_token)).status, 401, 'ends the access tokens here')
  let seen = 0
  for (let waited = 0; waited < 5000; waited += 50) {
    seen = (await elsewhere('GET', '/auth/verify', undefined, live.access_token)).status
    if (seen === 401) break
    await new Promise(resolve => setTimeout(resolve, 50))
  }
  t.equal(seen, 401, 'and on the other instance')
  const after = await Promise.all(tokens.slice(2).map(tk => ask('POST', '/auth/refresh-token', { refreshToken: tk.refresh_token })))
  t.same(after.map(r => r.status).filter(s => s !== 401), [], 'and every refresh token')
  t.same(gateway.output().match(/"level":50[^\n]*/g) ?? [], [], 'nothing logged as an error')
})

void testWith(t, 'without ?pgbouncer=true the same pooler breaks named statements (what the setting is for)', needs, async (t) => {
  const bouncer = await startPgBouncer(t, tool('pgbouncer').value, POSTGRES.value)
  const direct = await freshDatabaseUrl(t, 'postgresql')
  const app = await buildApp(testConfig(bouncer.urlFor(direct)), { announce: () => {} })
  t.teardown(() => app.close())
  await app.ready()
  const { statuses } = await workload(asking(app))
  t.ok(statuses.some(s => s >= 500), `some requests fail (${statuses.filter(s => s >= 500).length} of ${statuses.length})`)
})

// PostgreSQL's disk fills up (SQLSTATE 53100): what needs a write answers
// 503 in each surface's shape, never 500; forward-auth and the profile go
// on; writes succeed again once there is room. The session tables move to a
// tablespace on a small tmpfs that the test fills and empties, which needs
// root (to mount it) and the server on this machine (to write there).
import { chownSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import t from 'tap'
import { DATABASE_UNAVAILABLE_MESSAGE } from '../../src/storage/unavailable.js'
import { ADMIN, buildTestApp, login } from '../helper.js'
import { bearer, graphql } from '../graphql/support/requests.js'
import { POSTGRES, uniqueName, withPostgres } from '../setup/databases.js'
import { fill, untilRefused } from '../support/full-disk.js'
import { testWith, type Availability } from '../support/services.mjs'

/** Tables a login and a rotation write to: moved onto the tmpfs. */
const TABLES = ['sessions', 'refresh_tokens', 'audit_events']
/** Writes of each kind tried on the full disk before giving up on seeing one refused. */
const MOST_ATTEMPTS = 100

function localRoot (): Availability {
  const what = 'root, with PostgreSQL on this machine'
  if (process.getuid?.() !== 0) return { what, ok: false, value: '', reason: 'mounting a tmpfs for a PostgreSQL tablespace needs root', configured: false }
  const host = POSTGRES.ok ? new URL(POSTGRES.value).hostname : ''
  if (!['127.0.0.1', 'localhost', '[::1]', ''].includes(host)) return { what, ok: false, value: '', reason: `PostgreSQL at ${host} is not on this machine, where the test mounts its tablespace`, configured: false }
  return { what, ok: true, value: '', reason: '', configured: false }
}

interface Answer { statusCode: number, json: () => any }
const statusOf = (answer: Answer): number => answer.statusCode

void testWith(t, 'PostgreSQL on a full disk: writes answer 503, reads and forward-auth go on, writes return with room', [POSTGRES, localRoot()], async (t) => {
  const { app, databaseUrl } = await buildTestApp(t, 'postgresql')
  const { accessToken, refreshToken: firstToken } = await login(app)

  const place = mkdtempSync(join(tmpdir(), 'authgate-pg-full-'))
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', place], { encoding: 'utf8' })
  t.equal(mounted.status, 0, `a tmpfs for the tablespace ${mounted.stderr}`)
  const tablespace = uniqueName('full')
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  t.teardown(async () => {
    for (const table of TABLES) await client.query(`ALTER TABLE ${table} SET TABLESPACE pg_default`).catch(() => {})
    await client.end()
    await withPostgres(async (server) => { await server.query(`DROP TABLESPACE IF EXISTS ${tablespace}`) })
    spawnSync('umount', [place])
    rmSync(place, { recursive: true, force: true })
  })
  // The tablespace's folder belongs to the server's own user, as its data folder does.
  const dataDirectory = await withPostgres(async (server) => (await server.query('SELECT current_setting(\'data_directory\') AS dir')).rows[0].dir as string)
  const { uid, gid } = statSync(dataDirectory)
  chownSync(place, uid, gid)
  await withPostgres(async (server) => { await server.query(`CREATE TABLESPACE ${tablespace} LOCATION '${place}'`) })
  for (const table of TABLES) await client.query(`ALTER TABLE ${table} SET TABLESPACE ${tablespace}`)

  const filler = join(place, 'filler')
  fill(filler)
  const restUnavailable = { statusCode: 503, error: 'Service Unavailable', message: DATABASE_UNAVAILABLE_MESSAGE }

  const logins = await untilRefused(async () => await app.inject({ method: 'POST', url: '/auth/login', payload: ADMIN }), statusOf, MOST_ATTEMPTS)
  t.same(logins.answered.filter(s => s !== 201 && s !== 503), [], 'logins on the full disk answer 201 or 503, never 500')
  t.same(logins.refused?.json(), restUnavailable, `once the tables cannot grow, a login is refused as the database being unavailable (after ${logins.answered.length - 1} that fitted)`)

  let refreshToken = firstToken
  const rotations = await untilRefused(async () => {
    const res = await app.inject({ method: 'POST', url: '/auth/refresh-token', payload: { refreshToken } })
    if (res.statusCode === 201) refreshToken = res.json().refresh_token
    return res
  }, statusOf, MOST_ATTEMPTS)
  t.same(rotations.refused?.json(), restUnavailable, `so is a rotation (after ${rotations.answered.length - 1} that fitted)`)

  const graphqlLogins = await untilRefused(async () => await graphql(app, 'mutation($u: String!, $p: String!) { login(username: $u, password: $p) { accessToken } }', { variables: { u: ADMIN.email, p: ADMIN.password } }), statusOf, MOST_ATTEMPTS)
  t.equal(graphqlLogins.refused?.statusCode, 503, 'and a GraphQL login')
  t.match(graphqlLogins.refused?.json(), { data: null, errors: [{ message: DATABASE_UNAVAILABLE_MESSAGE, extensions: { code: 'SERVICE_UNAVAILABLE' } }] }, 'in its own shape')

  t.equal((await app.inject({ url: '/auth/verify', headers: bearer(accessToken) })).statusCode, 200, 'forward-auth goes on from memory')
  const profile = await app.inject({ url: '/auth/profile', headers: bearer(accessToken) })
  t.equal(profile.statusCode, 200, 'and the profile, a read')

  rmSync(filler)
  t.equal((await app.inject({ method: 'POST', url: '/auth/login', payload: ADMIN })).statusCode, 201, 'with room again, logins succeed')
  const renewed = await app.inject({ method: 'POST', url: '/auth/refresh-token', payload: { refreshToken } })
  t.equal(renewed.statusCode, 201, 'and the refresh token refused meanwhile rotates: nothing of it was written')
})

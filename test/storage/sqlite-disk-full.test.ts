// SQLite's disk fills up: what needs a write answers 503 in the REST shape
// (never 500) and the outage is logged as the database's, not per request;
// forward-auth and the profile go on; logins succeed again once there is
// room, with no restart, and the worker that checkpoints the WAL, whose
// checkpoints fail meanwhile, goes on. The gateway runs in a user and mount
// namespace of its own, its data folder a small tmpfs that the test fills
// and empties through /proc/<pid>/root.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { DATABASE_UNAVAILABLE_MESSAGE } from '../../src/storage/unavailable.js'
import { ADMIN } from '../helper.js'
import { bearer } from '../graphql/support/requests.js'
import { gatewayEnv, startGateway } from '../deploy/support/processes.js'
import { fill, untilRefused } from '../support/full-disk.js'
import { testWith, tool } from '../support/services.mjs'

/** Room for the migrated database, its WAL and a few hundred logins. */
const TMPFS_SIZE = '8m'
/** Writes of each kind tried on the full disk before giving up on seeing one refused. */
const MOST_ATTEMPTS = 200
/** Logins before the disk fills. */
const EARLIER_LOGINS = 30

interface Answer { status: number, body: Record<string, any> }
const statusOf = (answer: Answer): number => answer.status

void testWith(t, 'SQLite on a full disk: writes answer 503, reads and forward-auth go on, logins return with room', [tool('unshare')], async (t) => {
  const data = mkdtempSync(join(tmpdir(), 'authgate-disk-full-'))
  t.teardown(() => { rmSync(data, { recursive: true, force: true }) })
  const gateway = await startGateway(gatewayEnv(`file:${join(data, 'authgate.db')}`, { DATA_DIR: data }),
    [tool('unshare').value, '--user', '--map-root-user', '--mount', 'sh', '-c', `mount -t tmpfs -o size=${TMPFS_SIZE} tmpfs "$0" && exec "$@"`, data])
  t.teardown(() => { gateway.child.kill('SIGKILL') })
  const base = `http://127.0.0.1:${gateway.port}`
  const ask = async (path: string, init: RequestInit = {}): Promise<Answer> => {
    const res = await fetch(base + path, init)
    const text = await res.text()
    // Forward-auth's 200 has no body.
    return { status: res.status, body: text === '' ? {} : JSON.parse(text) as Record<string, any> }
  }
  const login = async () => await ask('/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ADMIN) })

  // Logins enough for the WAL to hold room that later commits reuse: on the full disk they fit
  // there, and the checkpoints that would copy them into the database file, which cannot grow, fail.
  const earlier = await Promise.all(Array.from({ length: EARLIER_LOGINS }, login))
  t.same(earlier.map(r => r.status).filter(s => s !== 201), [], `${EARLIER_LOGINS} logins while there is room`)
  const before = await login()
  const accessToken = before.body.access_token as string
  const logged = async (pattern: RegExp, within = 5000): Promise<boolean> => {
    for (let waited = 0; waited < within; waited += 50) {
      if (pattern.test(gateway.output())) return true
      await new Promise(resolve => setTimeout(resolve, 50))
    }
    return false
  }

  // The server's view of its data folder: the tmpfs, seen from outside its namespace.
  const filler = join(`/proc/${gateway.child.pid}/root`, data, 'filler')
  fill(filler)
  const unavailable = { status: 503, body: { statusCode: 503, error: 'Service Unavailable', message: DATABASE_UNAVAILABLE_MESSAGE } }

  const logins = await untilRefused(login, statusOf, MOST_ATTEMPTS)
  t.same(logins.answered.filter(s => s !== 201 && s !== 503), [], 'logins on the full disk answer 201 or 503, never 500')
  t.same(logins.refused, unavailable, `once SQLite needs room it has not got, a login is refused as the database being unavailable (after ${logins.answered.length - 1} that fitted)`)

  let refreshToken = before.body.refresh_token as string
  const rotations = await untilRefused(async () => {
    const res = await ask('/auth/refresh-token', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refreshToken }) })
    if (res.status === 201) refreshToken = res.body.refresh_token
    return res
  }, statusOf, MOST_ATTEMPTS)
  t.same(rotations.refused, unavailable, `so is a rotation (after ${rotations.answered.length - 1} that fitted)`)

  const graphqlLogins = await untilRefused(async () => await ask('/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: 'mutation($u: String!, $p: String!) { login(username: $u, password: $p) { accessToken } }', variables: { u: ADMIN.email, p: ADMIN.password } })
  }), statusOf, MOST_ATTEMPTS)
  t.match(graphqlLogins.refused, { status: 503, body: { data: null, errors: [{ message: DATABASE_UNAVAILABLE_MESSAGE, extensions: { code: 'SERVICE_UNAVAILABLE' } }] } },
    `and a GraphQL login, in its own shape (after ${graphqlLogins.answered.length - 1} that fitted)`)

  t.equal((await ask('/auth/verify', { headers: bearer(accessToken) })).status, 200, 'forward-auth goes on from memory')
  const profile = await ask('/auth/profile', { headers: bearer(accessToken) })
  t.equal(profile.status, 200, 'and the profile, a read')
  t.equal(profile.body.email, ADMIN.email)

  // A checkpoint fails only if the frames it copies need the database file to
  // grow: the frames of the writes that fitted may all land in pages the file
  // already has, and then it succeeds, the WAL starts over and more writes fit.
  // So logins go on, each given a few of the worker's intervals, until a
  // checkpoint has needed room.
  const checkpointsFailing = async () => await logged(/SQLite checkpoints are failing/, 300)
  const meanwhile: number[] = []
  let failing = await checkpointsFailing()
  while (!failing && meanwhile.length < MOST_ATTEMPTS) {
    meanwhile.push((await login()).status)
    failing = await checkpointsFailing()
  }
  t.ok(failing, `the checkpoints that cannot copy into the database file are logged as failing (after ${meanwhile.length} more logins)`)
  t.same(meanwhile.filter(s => s !== 201 && s !== 503), [], 'and the logins meanwhile answer 201 or 503')

  rmSync(filler)
  t.ok(await logged(/SQLite checkpoints succeed again/), 'with room again, the checkpoint worker goes on (it did not stop)')
  const after = await login()
  t.equal(after.status, 201, 'with room again, logins succeed, with no restart')
  const renewed = await ask('/auth/refresh-token', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refreshToken }) })
  t.equal(renewed.status, 201, 'and the refresh token refused meanwhile rotates: nothing of it was written')

  const lines = gateway.output().split('\n')
  t.ok(lines.some(l => l.includes('database unavailable; requests that need it answer 503')), 'the outage is logged as the database\'s')
  t.same(lines.filter(l => l.includes('"level":50')), [], 'and nothing as an error')
})

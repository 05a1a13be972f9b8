// SQLite keeps its temporary files in memory: a transaction that changes
// more than a few pages it did not create (a login once the tables have
// grown, logout everywhere, an administrator ending many sessions) needs a
// journal of their old contents for its savepoint, and on disk that is a
// file in the first writable temporary folder. A container with a read-only
// root filesystem and no writable /tmp has none, and every such transaction
// failed with SQLITE_IOERR_GETTEMPPATH. SQLITE_TMPDIR, the first place
// SQLite looks, is pointed at a watched folder: nothing may appear in it.
import { watch, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { ADMIN, emptyDatabaseUrl } from '../helper.js'
import { gatewayEnv, startGateway } from '../deploy/support/processes.js'

/** Sessions ended at once by logout everywhere: enough for their rows and index entries to fill many pages. */
const SESSIONS = 120
/** Logins under way at once, so that several share a commit (each in a savepoint of its own). */
const AT_ONCE = 8

async function post (base: string, path: string, body: unknown, token?: string) {
  const res = await fetch(base + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body)
  })
  return { status: res.status, body: await res.json() as Record<string, any> }
}

void t.test('no temporary file is written while logins and logout everywhere change many pages', async (t) => {
  const temporary = mkdtempSync(join(tmpdir(), 'authgate-sqlite-tmp-'))
  t.teardown(() => { rmSync(temporary, { recursive: true, force: true }) })
  const written: string[] = []
  const watcher = watch(temporary, (_event, name) => { written.push(String(name)) })
  t.teardown(() => { watcher.close() })

  const gateway = await startGateway(gatewayEnv(await emptyDatabaseUrl(t, 'sqlite'), { SQLITE_TMPDIR: temporary }))
  t.teardown(() => { gateway.child.kill('SIGKILL') })
  const base = `http://127.0.0.1:${gateway.port}`

  const statuses: number[] = []
  const refreshTokens: string[] = []
  let accessToken = ''
  for (let started = 0; started < SESSIONS; started += AT_ONCE) {
    const logins = await Promise.all(Array.from({ length: AT_ONCE }, () => post(base, '/auth/login', ADMIN)))
    for (const login of logins) {
      statuses.push(login.status)
      refreshTokens.push(login.body.refresh_token)
      accessToken = login.body.access_token
    }
  }
  t.same(statuses.filter(s => s !== 201), [], `${SESSIONS} logins, ${AT_ONCE} at once`)

  const ended = await post(base, '/auth/logout-all', {}, accessToken)
  t.equal(ended.status, 200, 'logout everywhere ends them all in one transaction')
  const refused = await Promise.all(refreshTokens.slice(0, 5).map(token => post(base, '/auth/refresh-token', { refreshToken: token })))
  t.same(refused.map(r => r.status), [401, 401, 401, 401, 401], 'their refresh tokens are refused')

  // fs.watch reports asynchronously: give it a moment to report a late file.
  await new Promise(resolve => setTimeout(resolve, 200))
  t.same(written, [], 'SQLite wrote no temporary file')
  t.same(gateway.output().match(/"level":50[^\n]*/g) ?? [], [], 'nothing logged as an error')
})

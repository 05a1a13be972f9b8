// loginUser and sliding renewal on /graphql: tokens in the X-Authorization
// response header (and Authorization, same value), as seed-004 clients expect.
import BetterSqlite from 'better-sqlite3'
import t from 'tap'
import { countRows, openTestDatabase } from '../support/database.js'
import { ADMIN, buildTestApp, createUser, eachProvider, login as restLogin, manualClock } from '../helper.js'
import { bearer, graphql, graphqlLogin, jwtPayload, serviceAuthLogin } from './support/requests.js'

const LOGIN_USER = 'query($email: String, $username: String, $password: String!) { loginUser(email: $email, username: $username, password: $password) { id } }'
const ME = '{ me { id } }'

eachProvider('loginUser by email or username returns the token in X-Authorization and Authorization', async (t, provider) => {
  const { app } = await buildTestApp(t, provider)
  const john = await createUser(app, { email: 'john@mail.com', password: 'john-pass-12', username: 'john' })
  for (const variables of [{ email: 'john@mail.com', password: 'john-pass-12' }, { username: 'john', password: 'john-pass-12' }]) {
    const res = await graphql(app, LOGIN_USER, { variables })
    t.equal(res.statusCode, 200)
    t.same(res.json(), { data: { loginUser: { id: john.id } } })
    const token = res.headers['x-authorization'] as string
    t.match(token, /^[\w-]+\.[\w-]+\.[\w-]+$/, 'the bare token, for "Authorization: Bearer <token>"')
    t.equal(res.headers.authorization, token, 'the deprecated Authorization header carries the same value')
    const me = await graphql(app, ME, { headers: bearer(token) })
    t.same(me.json(), { data: { me: { id: john.id } } })
  }
})

eachProvider('loginUser failures: no token header, and the /graphql error shape', async (t, provider) => {
  const { app } = await buildTestApp(t, provider)
  const wrong = await graphql(app, LOGIN_USER, { variables: { email: ADMIN.email, password: 'not-the-password' } })
  t.equal(wrong.statusCode, 401)
  t.match(wrong.json(), { data: null, errors: [{ message: 'Invalid credentials', path: ['loginUser'], extensions: { code: 'UNAUTHENTICATED' } }] })
  t.notOk(wrong.headers['x-authorization'])
  t.notOk(wrong.headers.authorization)
  const neither = await graphql(app, LOGIN_USER, { variables: { password: 'x' } })
  t.equal(neither.statusCode, 400)
  t.match(neither.json().errors, [{ message: 'email or username is required', extensions: { code: 'BAD_USER_INPUT' } }])
  const noPassword = await graphql(app, '{ loginUser(email: "a@b.c") { id } }')
  t.equal(noPassword.statusCode, 400)
  t.match(noPassword.json().errors, [{ extensions: { code: 'BAD_USER_INPUT' } }])
})

eachProvider('a request authenticated with a token past half its life gets a fresh token in X-Authorization', async (t, provider) => {
  const clock = manualClock()
  const { app } = await buildTestApp(t, provider, { clock })
  const login = await graphql(app, LOGIN_USER, { variables: { email: ADMIN.email, password: ADMIN.password } })
  const token = login.headers['x-authorization'] as string

  clock.advance(449)
  const young = await graphql(app, ME, { headers: bearer(token) })
  t.equal(young.statusCode, 200)
  t.notOk(young.headers['x-authorization'], 'before half its life: no new token')

  clock.advance(1)
  const old = await graphql(app, ME, { headers: bearer(token) })
  t.equal(old.statusCode, 200)
  const renewed = old.headers['x-authorization'] as string
  t.match(renewed, /^[\w-]+\.[\w-]+\.[\w-]+$/, 'at half its life: a fresh token')
  t.equal(old.headers.authorization, renewed)
  t.not(renewed, token)

  const fresh = await graphql(app, ME, { headers: bearer(renewed) })
  t.notOk(fresh.headers['x-authorization'], 'the renewed token is young')

  clock.advance(451)
  t.equal((await graphql(app, ME, { headers: bearer(token) })).statusCode, 401, 'the old token expired')
  const next = await graphql(app, ME, { headers: bearer(renewed) })
  t.equal(next.statusCode, 200, 'the renewed one lives on')
  t.ok(next.headers['x-authorization'], 'and is renewed in turn past half its life')

  const anonymous = await graphql(app, 'mutation($r: String!) { logout(refreshToken: $r) }', { variables: { r: 'x' }, headers: bearer(renewed) })
  t.notOk(anonymous.headers['x-authorization'], 'operations that do not authenticate get nothing')
})

/** Logs in with loginUser; the header token. */
async function loginUser (app: Parameters<typeof graphql>[0], login = 'admin', password = ADMIN.password): Promise<string> {
  const res = await graphql(app, LOGIN_USER, { variables: { username: login, password } })
  if (res.statusCode !== 200) throw new Error(`loginUser failed: ${res.body}`)
  return res.headers['x-authorization'] as string
}

eachProvider('renewal stops with the session: logoutAll, a disabled user', async (t, provider) => {
  const clock = manualClock()
  const { app, databaseUrl } = await buildTestApp(t, provider, { clock })
  const a = await loginUser(app)
  const b = await loginUser(app)
  clock.advance(600)
  const all = await graphql(app, 'mutation { logoutAll }', { headers: bearer(a) })
  t.same(all.json(), { data: { logoutAll: true } })
  t.notOk(all.headers['x-authorization'], 'logoutAll ends the session it would have renewed')
  const afterLogout = await graphql(app, ME, { headers: bearer(b) })
  t.equal(afterLogout.statusCode, 401, 'the other session ended too')
  t.notOk(afterLogout.headers['x-authorization'], 'a logged-out session is never renewed')

  const maria = await createUser(app, { email: 'maria@mail.com', password: 'maria-pass-1', username: 'maria' })
  const m = await loginUser(app, 'maria', 'maria-pass-1')
  clock.advance(600)
  const db = await openTestDatabase(t, databaseUrl)
  await db.updateTable('users').set({ disabled: true }).where('id', '=', maria.id).execute()
  const disabled = await graphql(app, ME, { headers: bearer(m) })
  t.equal(disabled.statusCode, 403)
  t.notOk(disabled.headers['x-authorization'], 'a disabled user gets no renewal')
})

eachProvider('only header-token sessions renew: REST and GraphQL login tokens never do, however often they are shown', async (t, provider) => {
  const clock = manualClock()
  const { app } = await buildTestApp(t, provider, { clock, env: { ACCESS_TOKEN_TTL: '6' } })
  const rest = await restLogin(app)
  const ns = await graphqlLogin(app, ADMIN.email, ADMIN.password)
  const ca = await serviceAuthLogin(app, ADMIN.email, ADMIN.password)
  for (const [from, first] of [['REST', rest.accessToken], ['/graphql login', ns.accessToken], ['/service/Auth login', ca.jwt]] as const) {
    // The experiment that once kept a copied token alive forever: present it every 4 s.
    let token = first
    for (let i = 0; i < 4; i++) {
      clock.advance(4)
      const res = await graphql(app, ME, { headers: bearer(token) })
      if (i === 0) t.equal(res.statusCode, 200, `${from}: valid within its lifetime`)
      t.notOk(res.headers['x-authorization'], `${from}: no fresh token in X-Authorization (${(i + 1) * 4} s)`)
      token = (res.headers['x-authorization'] as string | undefined) ?? token
    }
    const profile = await app.inject({ url: '/auth/profile', headers: bearer(token) })
    t.equal(profile.statusCode, 401, `${from}: 16 s later the token no longer opens /auth/profile`)
    clock.advance(-16)
  }
})

eachProvider('a header-token session renewed without pause still ends at SESSION_MAX_AGE', async (t, provider) => {
  const clock = manualClock()
  const maxAge = 3600
  const { app } = await buildTestApp(t, provider, { clock, env: { SESSION_MAX_AGE: String(maxAge) } })
  const start = clock.now() / 1000
  let token = await loginUser(app)
  let renewals = 0
  // Try to make it live forever: use it past half its life, again and again.
  for (let elapsed = 0; elapsed < maxAge + 1800; elapsed += 450) {
    clock.advance(450)
    const res = await graphql(app, ME, { headers: bearer(token) })
    const renewed = res.headers['x-authorization'] as string | undefined
    if (renewed === undefined) break
    renewals++
    const claims = jwtPayload(renewed) as { exp: number, auth_time: number }
    t.ok(claims.exp <= start + maxAge, `renewal ${renewals} expires by the session's end`)
    t.equal(claims.auth_time, Math.floor(start), 'and keeps the login time')
    token = renewed
  }
  t.ok(renewals >= 6, `renewed while the session lived (${renewals} times)`)
  clock.advance(900)
  t.ok(clock.now() / 1000 > start + maxAge)
  t.equal((await graphql(app, ME, { headers: bearer(token) })).statusCode, 401, 'past SESSION_MAX_AGE nothing is accepted')
})

eachProvider('renewal marks the session used, and SESSION_IDLE_TIMEOUT ends a session nobody uses', async (t, provider) => {
  const clock = manualClock()
  const { app } = await buildTestApp(t, provider, { clock, env: { SESSION_IDLE_TIMEOUT: '600', ACCESS_TOKEN_TTL: '900' } })
  const token = await loginUser(app)
  const started = new Date(clock.now()).toISOString()
  clock.advance(500)
  const renewed = (await graphql(app, ME, { headers: bearer(token) })).headers['x-authorization'] as string
  t.ok(renewed, 'renewed within the idle timeout')
  const sessions = await graphql(app, '{ sessions { lastUsedAt createdAt current } }', { headers: bearer(renewed) })
  const current = sessions.json().data.sessions.find((s: { current: boolean }) => s.current)
  t.equal(current.createdAt, started, 'the session keeps its start')
  t.equal(current.lastUsedAt, new Date(clock.now()).toISOString(), 'its last use is the renewal')

  clock.advance(650)
  const idle = await graphql(app, ME, { headers: bearer(renewed) })
  t.equal(idle.statusCode, 200, 'the access token itself is still valid')
  t.notOk(idle.headers['x-authorization'], 'but the session was idle longer than SESSION_IDLE_TIMEOUT: no renewal')
})

eachProvider('HEADER_TOKEN_RENEWAL=false sends no renewal header', async (t, provider) => {
  const clock = manualClock()
  const { app } = await buildTestApp(t, provider, { clock, env: { HEADER_TOKEN_RENEWAL: 'false' } })
  const login = await graphql(app, LOGIN_USER, { variables: { username: 'admin', password: ADMIN.password } })
  const token = login.headers['x-authorization'] as string
  t.ok(token, 'loginUser still returns its token')
  clock.advance(800)
  const old = await graphql(app, ME, { headers: bearer(token) })
  t.equal(old.statusCode, 200)
  t.notOk(old.headers['x-authorization'])
})

t.test('a renewal the database cannot make leaves the answer as it is; the next request renews', async (t) => {
  const clock = manualClock()
  const { app, databaseUrl } = await buildTestApp(t, 'sqlite', { clock })
  const token = await loginUser(app)
  clock.advance(600)
  // Another connection holds the write lock past busy_timeout (5 s): marking the session used fails.
  const locker = new BetterSqlite(databaseUrl.slice('file:'.length))
  t.teardown(() => locker.close())
  locker.exec('BEGIN IMMEDIATE')
  const during = await graphql(app, ME, { headers: bearer(token) })
  t.equal(during.statusCode, 200, 'the operation is answered')
  t.ok(during.json().data.me.id, 'with its data')
  t.notOk(during.headers['x-authorization'], 'and without a fresh token')
  locker.exec('COMMIT')
  const after = await graphql(app, ME, { headers: bearer(token) })
  t.equal(after.statusCode, 200)
  t.match(after.headers['x-authorization'], /^[\w-]+\.[\w-]+\.[\w-]+$/, 'the token presented again is renewed')
})

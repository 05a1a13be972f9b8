// loginUser and sliding renewal on /graphql: tokens in the X-Authorization
// response header (and Authorization, same value), as seed-004 clients expect.
import { openDatabase } from '../../src/storage/database.js'
import { ADMIN, buildTestApp, createUser, eachProvider, manualClock } from '../helper.js'
import { bearer, graphql, graphqlLogin } from './support/requests.js'

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

eachProvider('sliding renewal stops with the session: logoutAll, the refresh lifetime, a disabled user', async (t, provider) => {
  const clock = manualClock()
  const { app, databaseUrl } = await buildTestApp(t, provider, { clock, env: { REFRESH_TOKEN_TTL: '1000' } })
  const a = await graphqlLogin(app, ADMIN.email, ADMIN.password)
  const b = await graphqlLogin(app, ADMIN.email, ADMIN.password)
  clock.advance(600)
  const all = await graphql(app, 'mutation { logoutAll }', { headers: bearer(a.accessToken) })
  t.same(all.json(), { data: { logoutAll: true } })
  t.notOk(all.headers['x-authorization'], 'logoutAll ends the session it would have renewed')
  const afterLogout = await graphql(app, ME, { headers: bearer(b.accessToken) })
  t.notOk(afterLogout.headers['x-authorization'], 'a logged-out session is never renewed')

  const c = await graphqlLogin(app, ADMIN.email, ADMIN.password)
  clock.advance(600)
  const renewed = (await graphql(app, ME, { headers: bearer(c.accessToken) })).headers['x-authorization'] as string
  t.ok(renewed, 'renewed while the session lives')
  clock.advance(500)
  const pastSession = await graphql(app, ME, { headers: bearer(renewed) })
  t.equal(pastSession.statusCode, 200, 'the renewed access token is still valid')
  t.notOk(pastSession.headers['x-authorization'], 'but its session reached the refresh lifetime: no renewal')

  const maria = await createUser(app, { email: 'maria@mail.com', password: 'maria-pass-1', username: 'maria' })
  const m = await graphqlLogin(app, 'maria', 'maria-pass-1')
  clock.advance(600)
  const { db, close } = await openDatabase(databaseUrl)
  t.teardown(close)
  await db.user.update({ where: { id: maria.id }, data: { disabled: true } })
  const disabled = await graphql(app, ME, { headers: bearer(m.accessToken) })
  t.equal(disabled.statusCode, 403)
  t.notOk(disabled.headers['x-authorization'], 'a disabled user gets no renewal')
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

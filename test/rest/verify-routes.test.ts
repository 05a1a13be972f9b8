// GET /auth/verify, forward-auth for proxies: identity headers for a valid
// access token, 401 for anything else.
import t from 'tap'
import { headerSafe } from '../../src/http/identity-headers.js'
import { ADMIN, buildTestApp, createUser, eachProvider, login, manualClock } from '../helper.js'

const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

eachProvider('a valid access token gets 200 and the identity headers', async (t, provider) => {
  const { app } = await buildTestApp(t, provider)
  const teacher = await createUser(app, { email: 'teacher@school.example', password: 'teacher-pass-1', schoolId: 'school-7', role: 'customer' })
  const { accessToken } = await login(app, 'teacher@school.example', 'teacher-pass-1')

  for (const url of ['/auth/verify', '/api/v1/auth/verify']) {
    const res = await app.inject({ url, headers: bearer(accessToken) })
    t.equal(res.statusCode, 200, url)
    t.equal(res.headers['x-user-id'], String(teacher.id))
    t.equal(res.headers['x-user-email'], 'teacher@school.example')
    t.equal(res.headers['x-user-role'], 'customer')
    t.equal(res.headers['x-user-school'], 'school-7')
    t.equal(res.headers['cache-control'], 'no-store')
    t.equal(res.body, '', 'no body: proxies read the headers')
    t.equal(res.headers['content-length'], '0')
    t.notOk('content-type' in res.headers)
  }
  // The answer to a token is built once; asked again, the token gets the same one.
  const first = await app.inject({ url: '/auth/verify', headers: bearer(accessToken) })
  const again = await app.inject({ url: '/auth/verify', headers: bearer(accessToken) })
  for (const name of ['x-user-id', 'x-user-email', 'x-user-role', 'x-user-school', 'cache-control']) {
    t.equal(again.headers[name], first.headers[name], `the same ${name} again`)
  }

  const admin = await login(app)
  const res = await app.inject({ url: '/auth/verify', headers: bearer(admin.accessToken) })
  t.equal(res.headers['x-user-role'], 'admin')
  t.notOk('x-user-school' in res.headers, 'no school header for a user without a school')
})

t.test('proxies that keep the original method and path (Envoy) are answered the same', async (t) => {
  const { app } = await buildTestApp(t, 'sqlite')
  const { accessToken } = await login(app)
  for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const) {
    const ok = await app.inject({ method, url: '/auth/verify/orders/42?expand=items', headers: bearer(accessToken) })
    t.equal(ok.statusCode, 200, method)
    t.equal(ok.headers['x-user-email'], ADMIN.email)
    t.equal((await app.inject({ method, url: '/api/v1/auth/verify/orders/42' })).statusCode, 401, `${method} without a token`)
  }
  t.equal((await app.inject({ method: 'HEAD', url: '/auth/verify', headers: bearer(accessToken) })).statusCode, 200, 'HEAD')
  for (const method of ['POST', 'PUT', 'PATCH', 'DELETE'] as const) {
    // The original request's Content-Type may come along without its body.
    const res = await app.inject({ method, url: '/auth/verify', headers: { ...bearer(accessToken), 'content-type': 'application/json' } })
    t.equal(res.statusCode, 200, `${method} /auth/verify with a body-less JSON Content-Type`)
    const withBody = await app.inject({ method, url: '/api/v1/auth/verify/upload', headers: { ...bearer(accessToken), 'content-type': 'text/csv' }, payload: 'a,b\n1,2' })
    t.equal(withBody.statusCode, 200, `${method} with a body it ignores`)
  }
})

t.test('anything but a valid, live access token gets 401', async (t) => {
  const clock = manualClock()
  const { app } = await buildTestApp(t, 'sqlite', { clock })
  const { accessToken, refreshToken } = await login(app)
  const refused = async (headers: Record<string, string>, what: string) => {
    const res = await app.inject({ url: '/auth/verify', headers })
    t.equal(res.statusCode, 401, what)
    t.equal(res.headers['www-authenticate'], 'Bearer', `${what}: WWW-Authenticate`)
    t.notOk('x-user-id' in res.headers, `${what}: no identity`)
    t.same(Object.keys(res.json()).sort(), ['error', 'message', 'statusCode'])
  }
  await refused({}, 'no Authorization')
  await refused({ authorization: 'Basic YWRtaW46YWRtaW4=' }, 'another scheme')
  await refused(bearer('not.a.jwt'), 'garbage')
  await refused(bearer(refreshToken), 'a refresh token')
  await refused(bearer(accessToken.slice(0, -2) + 'xx'), 'a forged signature')
  await refused({ authorization: 'Bearer' }, 'the scheme alone')
  await refused({ authorization: 'Bearer \t ' }, 'the scheme and blanks')
  await refused(bearer(`${accessToken} x`), 'a valid token and more')
  await refused(bearer(`${accessToken.slice(0, 40)} ${accessToken.slice(40)}`), 'a valid token with a space inside')
  await refused(bearer(`${accessToken.slice(0, -5)}\u00a0${accessToken.slice(-5)}`), 'a valid token with a no-break space in its signature')
  await refused(bearer(`${accessToken}=`), 'a valid token with padding added to its signature')
  t.equal((await app.inject({ url: '/auth/verify', headers: { authorization: `bEaReR \t${accessToken} \t` } })).statusCode, 200, 'any case of the scheme, blanks around the token')

  const other = await login(app)
  t.equal((await app.inject({ url: '/auth/verify', headers: bearer(other.accessToken) })).statusCode, 200, 'valid before it expires')
  clock.advance(901)
  await refused(bearer(other.accessToken), 'an expired token, answered 200 before')
  clock.advance(-901)

  t.equal((await app.inject({ url: '/auth/verify', headers: bearer(accessToken) })).statusCode, 200, 'valid before logout-all')
  await app.inject({ method: 'POST', url: '/auth/logout-all', headers: bearer(accessToken) })
  await refused(bearer(accessToken), 'a token of an ended session')
})

t.test('identity outside visible ASCII is percent-encoded, and decodes exactly', async (t) => {
  const { app } = await buildTestApp(t, 'sqlite')
  const email = 'ñandú@escuela.example'
  const school = 'École 100% Zürich'
  await createUser(app, { email, password: 'nandu-pass-12', schoolId: school })
  const { accessToken } = await login(app, email, 'nandu-pass-12')
  const res = await app.inject({ url: '/auth/verify', headers: bearer(accessToken) })
  t.equal(res.statusCode, 200)
  t.equal(res.headers['x-user-email'], '%C3%B1and%C3%BA@escuela.example')
  t.equal(res.headers['x-user-school'], '%C3%89cole%20100%25%20Z%C3%BCrich')
  t.equal(decodeURIComponent(String(res.headers['x-user-email'])), email)
  t.equal(decodeURIComponent(String(res.headers['x-user-school'])), school)

  t.equal(headerSafe('plain-ascii_value.1@x'), 'plain-ascii_value.1@x', 'ASCII passes unchanged')
  t.equal(headerSafe('\ud800x'), '%EF%BF%BDx', 'a lone surrogate becomes U+FFFD')
})

t.test('forward-auth is not charged to the client request budget', async (t) => {
  const { app } = await buildTestApp(t, 'sqlite', { env: { RATE_LIMIT_MAX: '3' } })
  const { accessToken } = await login(app)
  const statuses = []
  for (let i = 0; i < 8; i++) statuses.push((await app.inject({ url: '/auth/verify', headers: bearer(accessToken) })).statusCode)
  t.same(statuses, Array(8).fill(200))
  const budget = []
  for (let i = 0; i < 4; i++) budget.push((await app.inject({ url: '/auth/sessions', headers: bearer(accessToken) })).statusCode)
  t.same(budget, [200, 200, 429, 429], 'other routes still are (the login spent the first of three)')
})

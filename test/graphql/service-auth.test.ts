// /service/Auth, the CollectiveAccess-compatible endpoint, over HTTP.
import { countRows, openTestDatabase } from '../support/database.js'
import { ADMIN, buildTestApp, createUser, eachProvider, login as restLogin, manualClock } from '../helper.js'
import { bearer, jwtPayload, serviceAuth, serviceAuthLogin } from './support/requests.js'

const LOGIN = 'query($u: String, $p: String) { login(username: $u, password: $p) { id jwt refresh user { id username email fname lname userclass } } }'
const CORS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'POST, GET, OPTIONS, DELETE, PUT',
  'access-control-allow-headers': 'x-requested-with, Content-Type, origin, authorization, accept, client-security-token'
}

eachProvider('/service/Auth login by username or email returns jwt, refresh and the user, under ok:true', async (t, provider) => {
  const { app } = await buildTestApp(t, provider)
  const john = await createUser(app, { email: 'john@mail.com', password: 'changeme-1', username: 'john', firstName: 'John', lastName: 'Doe' })
  for (const u of ['john', 'john@mail.com', 'JOHN@mail.com']) {
    const res = await serviceAuth(app, LOGIN, { variables: { u, p: 'changeme-1' } })
    t.equal(res.statusCode, 200, u)
    t.ok(res.body.startsWith('{"ok":true,'), 'the body starts with "ok"')
    t.match(res.headers, CORS, 'CollectiveAccess CORS headers')
    const { ok, data, errors } = res.json()
    t.equal(ok, true)
    t.equal(errors, undefined)
    t.same(data.login.user, { id: john.id, username: 'john', email: 'john@mail.com', fname: 'John', lname: 'Doe', userclass: '0' })
    t.equal(data.login.id, john.id)
    t.match(data.login.jwt, /^[\w-]+\.[\w-]+\.[\w-]+$/)
    t.match(data.login.refresh, /^[\w-]{43}$/, 'the refresh token is opaque, not a JWT')
    t.match(jwtPayload(data.login.jwt), { id: String(john.id), sub: String(john.id), iss: 'authgate', aud: 'authgate' })
  }
  const inline = await serviceAuth(app, '{ login(username:"john", password:"changeme-1") { jwt, refresh, user { id, fname, lname, email } } }')
  t.equal(inline.json().ok, true, 'the documented inline form works too')
})

eachProvider('/service/Auth wrong credentials: null fields for CollectiveAccess clients, and the reason in errors', async (t, provider) => {
  const { app, databaseUrl } = await buildTestApp(t, provider)
  const maria = await createUser(app, { email: 'maria@mail.com', password: 'maria-pass-1', username: 'maria' })
  const query = '{ login(username: "maria", password: "not-her-password") { jwt refresh user { id } } }'
  const wrong = await serviceAuth(app, query)
  t.equal(wrong.statusCode, 200, 'clients that treat non-2xx as a transport failure keep working')
  t.ok(wrong.body.startsWith('{"ok":false,'))
  t.same(wrong.json(), {
    ok: false,
    errors: [{ message: 'Invalid credentials', locations: [{ line: 1, column: query.indexOf('jwt') + 1 }], path: ['login', 'jwt'], extensions: { code: 'INVALID_CREDENTIALS' } }],
    data: { login: { jwt: null, refresh: null, user: null } }
  })
  const unknown = await serviceAuth(app, query.replace('"maria"', '"marie"'))
  t.same(unknown.json(), wrong.json(), 'an unknown user looks the same')
  const userFirst = await serviceAuth(app, '{ login(username: "maria", password: "nope-nope") { user { id } jwt } }')
  t.same(userFirst.json().data, { login: { user: null, jwt: null } })
  t.same(userFirst.json().errors.map((e: { path: string[] }) => e.path), [['login', 'user']], 'one error, on the first selected field')

  const db = await openTestDatabase(t, databaseUrl)
  await db.updateTable('users').set({ disabled: true }).where('id', '=', maria.id).execute()
  const disabled = await serviceAuth(app, '{ login(username: "maria", password: "maria-pass-1") { jwt } }')
  t.equal(disabled.statusCode, 200)
  t.same(disabled.json().data, { login: { jwt: null } })
  t.match(disabled.json().errors, [{ message: 'Account disabled', extensions: { code: 'ACCOUNT_DISABLED' } }])
})

eachProvider('/service/Auth refresh: by argument or bearer, not rotated, never with an access token', async (t, provider) => {
  const { app } = await buildTestApp(t, provider)
  const { jwt, refresh } = await serviceAuthLogin(app, ADMIN.email, ADMIN.password)
  const byArgument = await serviceAuth(app, 'query($t: String) { refresh(token: $t) { jwt } }', { variables: { t: refresh } })
  t.equal(byArgument.statusCode, 200)
  t.equal(byArgument.json().ok, true)
  const renewed = byArgument.json().data.refresh.jwt as string
  t.not(renewed, jwt)
  t.equal((await serviceAuth(app, '{ validate { id } }', { headers: bearer(renewed) })).json().data.validate.id, 1, 'the new jwt is an access token')

  const byBearer = await serviceAuth(app, '{ refresh { jwt } }', { headers: bearer(refresh) })
  t.equal(byBearer.json().ok, true, 'without token, the bearer token is the refresh token; the first refresh did not retire it')
  t.match(byBearer.json().data.refresh.jwt, /^[\w-]+\.[\w-]+\.[\w-]+$/)

  for (const [name, token] of [['an access token', jwt], ['junk', 'not-a-token'], ['a forged opaque token', 'A'.repeat(43)]] as const) {
    const res = await serviceAuth(app, 'query($t: String) { refresh(token: $t) { jwt } }', { variables: { t: token } })
    t.equal(res.statusCode, 401, name)
    t.same(res.json(), {
      ok: false,
      errors: [{ message: 'Invalid or expired refresh token', locations: [{ line: 1, column: 21 }], path: ['refresh'], extensions: { code: 'INVALID_REFRESH_TOKEN' } }],
      data: { refresh: null }
    }, name)
  }
  const missing = await serviceAuth(app, '{ refresh { jwt } }')
  t.equal(missing.statusCode, 400)
  t.match(missing.json(), { ok: false, errors: [{ message: /token.*required/, extensions: { code: 'BAD_REQUEST' } }] })

  await app.inject({ method: 'POST', url: '/auth/logout', payload: { refreshToken: refresh } })
  const ended = await serviceAuth(app, 'query($t: String) { refresh(token: $t) { jwt } }', { variables: { t: refresh } })
  t.equal(ended.statusCode, 401, 'a logged-out session cannot refresh')
  const revoked = await serviceAuth(app, '{ validate { id } }', { headers: bearer(jwt) })
  t.equal(revoked.statusCode, 401, 'nor use its access tokens')
  t.match(revoked.json(), { ok: false, errors: [{ message: 'Session ended', extensions: { code: 'UNAUTHENTICATED' } }] })
})

eachProvider('/service/Auth validate reads the jwt argument first, then the bearer token', async (t, provider) => {
  const { app } = await buildTestApp(t, provider)
  const { jwt, refresh } = await serviceAuthLogin(app, ADMIN.email, ADMIN.password)
  const VALIDATE = 'query($j: String) { validate(jwt: $j) { id username email userclass } }'
  const byArgument = await serviceAuth(app, VALIDATE, { variables: { j: jwt } })
  t.same(byArgument.json(), { ok: true, data: { validate: { id: 1, username: 'admin', email: ADMIN.email, userclass: '0' } } })
  const byBearer = await serviceAuth(app, '{ validate { id } }', { headers: bearer(jwt) })
  t.same(byBearer.json(), { ok: true, data: { validate: { id: 1 } } })
  const argumentWins = await serviceAuth(app, VALIDATE, { variables: { j: 'garbage' }, headers: bearer(jwt) })
  t.equal(argumentWins.statusCode, 401, 'a bad argument is not rescued by a good header')
  const argumentWins2 = await serviceAuth(app, VALIDATE, { variables: { j: jwt }, headers: bearer('garbage') })
  t.equal(argumentWins2.statusCode, 200, 'a good argument wins over a bad header')

  for (const [name, request] of [
    ['refresh token as jwt', { variables: { j: refresh } }],
    ['refresh token as bearer', { headers: bearer(refresh) }],
    ['a garbage bearer', { headers: bearer('x.y.z') }]
  ] as const) {
    const res = await serviceAuth(app, VALIDATE, request)
    t.equal(res.statusCode, 401, name)
    t.match(res.json(), { ok: false, errors: [{ message: 'Invalid access token', extensions: { code: 'UNAUTHENTICATED' } }], data: { validate: null } }, name)
    t.notOk('expiredToken' in res.json().errors[0], `${name} is not flagged as expired`)
  }
  const none = await serviceAuth(app, VALIDATE)
  t.equal(none.statusCode, 401)
  t.match(none.json().errors, [{ message: 'Authentication required', extensions: { code: 'UNAUTHENTICATED' } }])
})

eachProvider('/service/Auth expired access token: 401 with expiredToken, and the refresh still works', async (t, provider) => {
  const clock = manualClock()
  const { app } = await buildTestApp(t, provider, { clock })
  const { jwt, refresh } = await serviceAuthLogin(app, ADMIN.email, ADMIN.password)
  clock.advance(901)
  const expired = await serviceAuth(app, '{ validate { id } }', { headers: bearer(jwt) })
  t.equal(expired.statusCode, 401)
  t.ok(expired.body.startsWith('{"ok":false,'))
  t.same(expired.json(), {
    ok: false,
    errors: [{ message: 'Expired token', locations: [{ line: 1, column: 3 }], path: ['validate'], extensions: { code: 'TOKEN_EXPIRED' }, expiredToken: true }],
    data: { validate: null }
  })
  const refreshed = await serviceAuth(app, 'query($t: String) { refresh(token: $t) { jwt } }', { variables: { t: refresh } })
  const retried = await serviceAuth(app, '{ validate { id } }', { headers: bearer(refreshed.json().data.refresh.jwt) })
  t.same(retried.json(), { ok: true, data: { validate: { id: 1 } } })
  clock.advance(604_800)
  const stale = await serviceAuth(app, 'query($t: String) { refresh(token: $t) { jwt } }', { variables: { t: refresh } })
  t.equal(stale.statusCode, 401, 'an expired refresh token')
  t.notOk('expiredToken' in stale.json().errors[0], 'is not flagged expiredToken: clients would retry a refresh forever')
})

eachProvider('/service/Auth validate refuses disabled (403) and deleted (401) users', async (t, provider) => {
  const { app, databaseUrl } = await buildTestApp(t, provider)
  const maria = await createUser(app, { email: 'maria@mail.com', password: 'maria-pass-1', username: 'maria' })
  const john = await createUser(app, { email: 'john@mail.com', password: 'john-pass-12', username: 'john' })
  const mariaTokens = await serviceAuthLogin(app, 'maria', 'maria-pass-1')
  const johnTokens = await serviceAuthLogin(app, 'john', 'john-pass-12')
  const db = await openTestDatabase(t, databaseUrl)
  await db.updateTable('users').set({ disabled: true }).where('id', '=', maria.id).execute()
  await db.deleteFrom('users').where('id', '=', john.id).execute()
  const disabled = await serviceAuth(app, '{ validate { id } }', { headers: bearer(mariaTokens.jwt) })
  t.equal(disabled.statusCode, 403)
  t.match(disabled.json().errors, [{ message: 'Account disabled', extensions: { code: 'ACCOUNT_DISABLED' } }])
  const refresh = await serviceAuth(app, 'query($t: String) { refresh(token: $t) { jwt } }', { variables: { t: mariaTokens.refresh } })
  t.equal(refresh.statusCode, 403, 'nor refresh')
  const deleted = await serviceAuth(app, '{ validate { id } }', { headers: bearer(johnTokens.jwt) })
  t.equal(deleted.statusCode, 401)
})

eachProvider('/service/Auth bad input answers 4xx with ok:false, never 500', async (t, provider) => {
  const { app } = await buildTestApp(t, provider)
  const cases: Array<[string, string, number, string, RegExp]> = [
    ['syntax error', '{ validate { id ', 400, 'GRAPHQL_PARSE_FAILED', /Syntax Error/],
    ['unknown field', '{ nope }', 400, 'GRAPHQL_VALIDATION_FAILED', /Cannot query field "nope"/],
    ['wrong argument type', '{ login(username: 42, password: "x") { jwt } }', 400, 'GRAPHQL_VALIDATION_FAILED', /String cannot represent/],
    ['unknown argument', '{ validate(token: "x") { id } }', 400, 'GRAPHQL_VALIDATION_FAILED', /Unknown argument/],
    ['a mutation', 'mutation { login }', 400, 'GRAPHQL_VALIDATION_FAILED', /mutation/],
    ['missing password', '{ login(username: "admin") { jwt } }', 400, 'BAD_REQUEST', /password is required/],
    ['empty username', '{ login(username: "", password: "x") { jwt } }', 400, 'BAD_REQUEST', /username is required/],
    ['two logins in one request', '{ a: login(username: "a", password: "b") { jwt } b: login(username: "a", password: "c") { jwt } }', 400, 'GRAPHQL_VALIDATION_FAILED', /one login/]
  ]
  for (const [name, query, status, code, message] of cases) {
    const res = await serviceAuth(app, query)
    t.equal(res.statusCode, status, name)
    t.ok(res.body.startsWith('{"ok":false,'), `${name}: the body starts with ok:false`)
    t.match(res.json().errors[0], { message, extensions: { code } }, name)
  }
  const wrongVariable = await serviceAuth(app, 'query($u: String) { login(username: $u, password: "x") { jwt } }', { variables: { u: { not: 'a string' } } })
  t.equal(wrongVariable.statusCode, 400)
  t.equal(wrongVariable.json().ok, false)

  const raw = async (payload: string, contentType = 'application/json') =>
    app.inject({ method: 'POST', url: '/service/Auth', headers: { 'content-type': contentType }, payload })
  for (const [name, res, status] of [
    ['malformed JSON', await raw('{"query":'), 400],
    ['no query', await raw('{}'), 400],
    ['query of the wrong type', await raw('{"query": 42}'), 400],
    ['an array', await raw('[{"query":"{ validate { id } }"}]'), 400],
    ['a form post (refused as CSRF before it is read)', await raw('query=x', 'application/x-www-form-urlencoded'), 400]
  ] as const) {
    t.equal(res.statusCode, status, name)
    t.equal(res.json().ok, false, name)
    t.type(res.json().errors[0].message, 'string', name)
  }
})

eachProvider('/service/Auth answers OPTIONS with 200 and an empty body, and refuses GET', async (t, provider) => {
  const { app } = await buildTestApp(t, provider)
  const options = await app.inject({ method: 'OPTIONS', url: '/service/Auth', headers: { origin: 'https://collection.example', 'access-control-request-method': 'POST' } })
  t.equal(options.statusCode, 200)
  t.equal(options.body, '')
  t.match(options.headers, CORS)
  const { accessToken } = await restLogin(app)
  const get = await app.inject({ method: 'GET', url: `/service/Auth?query=${encodeURIComponent('{ validate { id } }')}`, headers: bearer(accessToken) })
  t.equal(get.statusCode, 405, 'tokens and passwords never travel in URLs')
  t.equal(get.headers.allow, 'POST, OPTIONS')
  t.match(get.json(), { ok: false, errors: [{ extensions: { code: 'METHOD_NOT_ALLOWED' } }], data: null })
  t.match(get.headers, CORS)
})

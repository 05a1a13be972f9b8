// /graphql, the NextSchool-style endpoint, over HTTP.
import { setTimeout as sleep } from 'node:timers/promises'
import { USER_CACHE_TTL_MS } from '../../src/accounts/users-store.js'
import { countRows, openTestDatabase } from '../support/database.js'
import { ADMIN, buildTestApp, createUser, eachProvider, login as restLogin, manualClock } from '../helper.js'
import { bearer, graphql, graphqlLogin, jwtPayload, serviceAuthLogin } from './support/requests.js'

const LOGIN = 'mutation($u: String!, $p: String!) { login(username: $u, password: $p) { accessToken refreshToken expiresIn user { id username name email } } }'
const REFRESH = 'mutation($r: String!) { refreshToken(refreshToken: $r) { accessToken expiresIn } }'
const LOGOUT = 'mutation($r: String!) { logout(refreshToken: $r) }'
const ME = '{ me { id username name email schoolId role } }'

const unauthenticated = (path: string) => ({
  data: null,
  errors: [{ message: 'Authentication required', path: [path], extensions: { code: 'UNAUTHENTICATED' } }]
})

eachProvider('/graphql login returns the NextSchool payload and a JWT with the documented claims', async (t, provider) => {
  const { app } = await buildTestApp(t, provider)
  const api = await createUser(app, { email: 'api@school.ac.th', password: 'api-pass-123', username: 'api_user', name: 'API User', schoolId: '123' })
  for (const u of ['api_user', 'api@school.ac.th']) {
    const res = await graphql(app, LOGIN, { variables: { u, p: 'api-pass-123' } })
    t.equal(res.statusCode, 200, u)
    const { login } = res.json().data
    t.same(login.user, { id: api.id, username: 'api_user', name: 'API User', email: 'api@school.ac.th' })
    t.equal(login.expiresIn, 900)
    t.match(login.refreshToken, /^[\w-]{43}$/, 'the refresh token is opaque')
    const claims = jwtPayload(login.accessToken)
    t.match(claims, { sub: String(api.id), username: 'api_user', email: 'api@school.ac.th', schoolId: '123', iss: 'authgate' })
    t.type(claims.iat, 'number')
    t.equal(claims.exp, (claims.iat as number) + 900)
  }
  const admin = await graphqlLogin(app, ADMIN.email, ADMIN.password)
  t.notOk('schoolId' in jwtPayload(admin.accessToken), 'no schoolId claim for a user without a school')
  const inline = await graphql(app, `mutation { login(username: "api_user", password: "api-pass-123") { accessToken refreshToken expiresIn user { id username name email } } }`)
  t.equal(inline.statusCode, 200, 'the documented inline form')
})

eachProvider('/graphql login with wrong credentials: "Invalid credentials", 401, no data', async (t, provider) => {
  const { app, databaseUrl } = await buildTestApp(t, provider)
  const maria = await createUser(app, { email: 'maria@mail.com', password: 'maria-pass-1', username: 'maria' })
  const wrong = await graphql(app, LOGIN, { variables: { u: 'maria', p: 'not-her-password' } })
  t.equal(wrong.statusCode, 401)
  t.same(wrong.json(), { data: null, errors: [{ message: 'Invalid credentials', locations: [{ line: 1, column: LOGIN.indexOf('login(') + 1 }], path: ['login'], extensions: { code: 'UNAUTHENTICATED' } }] })
  const unknown = await graphql(app, LOGIN, { variables: { u: 'marie', p: 'not-her-password' } })
  t.same(unknown.json(), wrong.json(), 'an unknown user looks the same')
  const db = await openTestDatabase(t, databaseUrl)
  await db.updateTable('users').set({ disabled: true }).where('id', '=', maria.id).execute()
  const disabled = await graphql(app, LOGIN, { variables: { u: 'maria', p: 'maria-pass-1' } })
  t.equal(disabled.statusCode, 403)
  t.match(disabled.json(), { data: null, errors: [{ message: 'Account disabled', extensions: { code: 'FORBIDDEN' } }] })
})

eachProvider('/graphql refreshToken gives a new access token and does not rotate the refresh token', async (t, provider) => {
  const clock = manualClock()
  const { app } = await buildTestApp(t, provider, { clock })
  const { accessToken, refreshToken } = await graphqlLogin(app, ADMIN.email, ADMIN.password)
  clock.advance(901)
  t.same((await graphql(app, ME, { headers: bearer(accessToken) })).json(), { ...unauthenticated('me'), errors: [{ ...unauthenticated('me').errors[0], locations: [{ line: 1, column: 3 }] }] }, 'the access token expired')
  const tokens = []
  for (let i = 0; i < 2; i++) {
    const res = await graphql(app, REFRESH, { variables: { r: refreshToken } })
    t.equal(res.statusCode, 200, `refresh ${i + 1} with the same refresh token`)
    t.same(Object.keys(res.json().data.refreshToken).sort(), ['accessToken', 'expiresIn'])
    t.equal(res.json().data.refreshToken.expiresIn, 900)
    tokens.push(res.json().data.refreshToken.accessToken as string)
  }
  for (const token of tokens) {
    t.equal((await graphql(app, ME, { headers: bearer(token) })).json().data.me.id, 1, 'the new access token works')
  }
  for (const [name, token] of [['an access token', accessToken], ['junk', 'a1b2c3d4-e5f6-7890-abcd-ef1234567890'], ['a forged opaque token', 'A'.repeat(43)]] as const) {
    const res = await graphql(app, REFRESH, { variables: { r: token } })
    t.equal(res.statusCode, 401, name)
    t.match(res.json(), { data: null, errors: [{ message: 'Invalid or expired refresh token', path: ['refreshToken'], extensions: { code: 'UNAUTHENTICATED' } }] }, name)
  }
  clock.advance(604_800)
  const expired = await graphql(app, REFRESH, { variables: { r: refreshToken } })
  t.match(expired.json().errors, [{ message: 'Invalid or expired refresh token' }], 'after the refresh lifetime')
})

eachProvider('/graphql logout ends one session; logoutAll needs an access token and ends them all', async (t, provider) => {
  const { app } = await buildTestApp(t, provider)
  await createUser(app, { email: 'john@mail.com', password: 'john-pass-12', username: 'john' })
  const a = await graphqlLogin(app, ADMIN.email, ADMIN.password)
  const b = await graphqlLogin(app, ADMIN.email, ADMIN.password)
  const c = await graphqlLogin(app, ADMIN.email, ADMIN.password)
  const john = await graphqlLogin(app, 'john', 'john-pass-12')

  const logout = await graphql(app, LOGOUT, { variables: { r: a.refreshToken } })
  t.same(logout.json(), { data: { logout: true } })
  t.equal((await graphql(app, REFRESH, { variables: { r: a.refreshToken } })).statusCode, 401, 'the logged-out refresh token is dead')
  t.equal((await graphql(app, REFRESH, { variables: { r: b.refreshToken } })).statusCode, 200, 'other sessions live on')
  t.same((await graphql(app, LOGOUT, { variables: { r: 'never-issued' } })).json(), { data: { logout: true } }, 'unknown tokens reveal nothing')
  t.same((await graphql(app, LOGOUT, { variables: { r: a.refreshToken } })).json(), { data: { logout: true } }, 'logging out twice is fine')

  for (const [name, headers] of [['no token', {}], ['a refresh token as bearer', bearer(b.refreshToken)], ['garbage', bearer('x.y.z')]] as const) {
    const res = await graphql(app, 'mutation { logoutAll }', { headers })
    t.equal(res.statusCode, 401, name)
    t.match(res.json(), unauthenticated('logoutAll'), name)
  }
  t.equal((await graphql(app, REFRESH, { variables: { r: b.refreshToken } })).statusCode, 200, 'refused logoutAll ended nothing')

  const all = await graphql(app, 'mutation { logoutAll }', { headers: bearer(c.accessToken) })
  t.same(all.json(), { data: { logoutAll: true } })
  for (const token of [b.refreshToken, c.refreshToken]) {
    t.equal((await graphql(app, REFRESH, { variables: { r: token } })).statusCode, 401, 'every session of the user ended')
  }
  t.equal((await graphql(app, REFRESH, { variables: { r: john.refreshToken } })).statusCode, 200, "another user's session is untouched")
  const ended = await graphql(app, ME, { headers: bearer(c.accessToken) })
  t.equal(ended.statusCode, 401, 'the access tokens of ended sessions are refused')
  t.match(ended.json().errors, [{ message: 'Authentication required', extensions: { code: 'UNAUTHENTICATED' } }])
  t.equal((await graphql(app, ME, { headers: bearer(john.accessToken) })).statusCode, 200)
})

eachProvider('/graphql me: the user for a valid access token, UNAUTHENTICATED for anything else', async (t, provider) => {
  const clock = manualClock()
  const { app, databaseUrl } = await buildTestApp(t, provider, { clock })
  const maria = await createUser(app, { email: 'maria@mail.com', password: 'maria-pass-1', username: 'maria', firstName: 'Maria', lastName: 'Silva' })
  const { accessToken, refreshToken } = await graphqlLogin(app, 'maria', 'maria-pass-1')
  const me = await graphql(app, ME, { headers: bearer(accessToken) })
  t.same(me.json(), { data: { me: { id: maria.id, username: 'maria', name: 'Maria Silva', email: 'maria@mail.com', schoolId: null, role: 'customer' } } })
  const lower = await graphql(app, ME, { headers: { authorization: `bearer ${accessToken}` } })
  t.equal(lower.statusCode, 200, 'the scheme is case-insensitive')

  for (const [name, headers] of [
    ['no header', {}],
    ['a refresh token as bearer', bearer(refreshToken)],
    ['garbage', bearer('garbage')],
    ['another scheme', { authorization: `Basic ${accessToken}` }]
  ] as const) {
    const res = await graphql(app, ME, { headers })
    t.equal(res.statusCode, 401, name)
    t.same(res.json(), { data: null, errors: [{ message: 'Authentication required', locations: [{ line: 1, column: 3 }], path: ['me'], extensions: { code: 'UNAUTHENTICATED' } }] }, name)
  }
  const db = await openTestDatabase(t, databaseUrl)
  await db.updateTable('users').set({ disabled: true }).where('id', '=', maria.id).execute()
  // Disabled behind the gateway's back: authenticated reads may serve the user from its short cache until then.
  await sleep(USER_CACHE_TTL_MS + 100)
  const disabled = await graphql(app, ME, { headers: bearer(accessToken) })
  t.equal(disabled.statusCode, 403)
  t.match(disabled.json().errors, [{ message: 'Account disabled', extensions: { code: 'FORBIDDEN' } }])
  const cached = await graphql(app, ME, { headers: bearer(accessToken) })
  t.equal(cached.statusCode, 403, 'and again, answered from the user cache')
  t.match(cached.json().errors, [{ message: 'Account disabled', extensions: { code: 'FORBIDDEN' } }])
  clock.advance(900)
  const expired = await graphql(app, ME, { headers: bearer(accessToken) })
  t.equal(expired.statusCode, 401, 'an expired token')
  t.match(expired.json().errors, [{ message: 'Authentication required', extensions: { code: 'UNAUTHENTICATED' } }])
})

eachProvider('/graphql with GRAPHQL_REQUIRE_SCHOOL: FORBIDDEN for users without a school', async (t, provider) => {
  const { app, databaseUrl } = await buildTestApp(t, provider, { env: { GRAPHQL_REQUIRE_SCHOOL: 'true' } })
  await createUser(app, { email: 'teacher@school.ac.th', password: 'teacher-pass-1', username: 'teacher', schoolId: '123' })
  const db = await openTestDatabase(t, databaseUrl)
  const sessionsBefore = await countRows(db, 'sessions')
  const forbidden = { data: null, errors: [{ message: 'User not assigned to a school', extensions: { code: 'FORBIDDEN' } }] }

  const login = await graphql(app, LOGIN, { variables: { u: ADMIN.email, p: ADMIN.password } })
  t.equal(login.statusCode, 403)
  t.match(login.json(), forbidden, 'login')
  const loginUser = await graphql(app, 'query($e: String, $p: String!) { loginUser(email: $e, password: $p) { id } }', { variables: { e: ADMIN.email, p: ADMIN.password } })
  t.match(loginUser.json(), forbidden, 'loginUser')
  t.notOk(loginUser.headers['x-authorization'], 'and no token header')
  t.equal(await countRows(db, 'sessions'), sessionsBefore, 'neither refused login started a session')
  t.equal(await countRows(db, 'auditEvents', { type: 'login.succeeded', sessionId: null }), 2, 'both are recorded as logins that started none')

  const rest = await restLogin(app)
  t.match((await graphql(app, ME, { headers: bearer(rest.accessToken) })).json(), forbidden, 'me, with a token from another surface')
  t.match((await graphql(app, ME, { headers: bearer(rest.accessToken) })).json(), forbidden, 'and again, the user answered from the user cache')
  const elsewhere = await serviceAuthLogin(app, ADMIN.email, ADMIN.password)
  t.match((await graphql(app, REFRESH, { variables: { r: elsewhere.refresh } })).json(), forbidden, 'refreshToken, of a /service/Auth session')
  t.same((await graphql(app, 'mutation { logoutAll }', { headers: bearer(rest.accessToken) })).json(), { data: { logoutAll: true } }, 'ending sessions is always allowed')

  const teacher = await graphqlLogin(app, 'teacher', 'teacher-pass-1')
  t.equal(jwtPayload(teacher.accessToken).schoolId, '123')
  t.equal((await graphql(app, ME, { headers: bearer(teacher.accessToken) })).json().data.me.schoolId, '123')
  t.equal((await graphql(app, REFRESH, { variables: { r: teacher.refreshToken } })).statusCode, 200)
})

eachProvider('/graphql bad input answers 4xx in the GraphQL error shape, never 500', async (t, provider) => {
  const { app } = await buildTestApp(t, provider)
  const cases: Array<[string, string, Record<string, unknown> | undefined, number, string, RegExp]> = [
    ['missing argument', 'mutation { login(username: "x") { accessToken } }', undefined, 400, 'BAD_USER_INPUT', /argument "password"/],
    ['argument of the wrong type', 'mutation { login(username: 42, password: "x") { accessToken } }', undefined, 400, 'BAD_USER_INPUT', /String cannot represent/],
    ['unknown argument', 'mutation { logout(token: "x") }', undefined, 400, 'BAD_USER_INPUT', /Unknown argument "token"|argument "refreshToken"/],
    ['variable of the wrong type', LOGIN, { u: 42, p: 'x' }, 400, 'BAD_USER_INPUT', /Variable "\$u"/],
    ['missing variable', LOGIN, { u: 'admin' }, 400, 'BAD_USER_INPUT', /Variable "\$p"/],
    ['null variable', REFRESH, { r: null }, 400, 'BAD_USER_INPUT', /Variable "\$r"/],
    ['empty username', LOGIN, { u: '', p: 'x' }, 400, 'BAD_USER_INPUT', /username is required/],
    ['empty refresh token', REFRESH, { r: '' }, 400, 'BAD_USER_INPUT', /refreshToken is required/],
    ['oversized refresh token', REFRESH, { r: 'x'.repeat(5000) }, 400, 'BAD_USER_INPUT', /at most/],
    ['syntax error', '{ me { id ', undefined, 400, 'GRAPHQL_PARSE_FAILED', /Syntax Error/],
    ['unknown field', '{ students(limit: 5) { id } }', undefined, 400, 'GRAPHQL_VALIDATION_FAILED', /Cannot query field "students"/],
    ['two logins', 'mutation { a: login(username: "a", password: "b") { accessToken } b: login(username: "a", password: "c") { accessToken } }', undefined, 400, 'GRAPHQL_VALIDATION_FAILED', /one login/],
    ['login and loginUser', 'query Q { loginUser(username: "a", password: "b") { id } } mutation M { login(username: "a", password: "c") { accessToken } }', undefined, 400, 'GRAPHQL_VALIDATION_FAILED', /one login/]
  ]
  for (const [name, query, variables, status, code, message] of cases) {
    const res = await graphql(app, query, variables === undefined ? {} : { variables })
    t.equal(res.statusCode, status, name)
    t.equal(res.json().data, null, name)
    t.match(res.json().errors[0], { message, extensions: { code } }, name)
  }
  const raw = async (payload: string, contentType = 'application/json') =>
    app.inject({ method: 'POST', url: '/graphql', headers: { 'content-type': contentType }, payload })
  for (const [name, res, status] of [
    ['malformed JSON', await raw('{"query":'), 400],
    ['no query', await raw('{}'), 400],
    ['query of the wrong type', await raw('{"query": ["me"]}'), 400],
    ['a batch', await raw('[{"query":"{ me { id } }"}]'), 400],
    ['text/plain', await raw('{ me { id } }', 'text/plain'), 400],
    ['a form post (refused as CSRF before it is read)', await raw('query=x', 'application/x-www-form-urlencoded'), 400]
  ] as const) {
    t.equal(res.statusCode, status, name)
    t.match(res.json(), { data: null, errors: [{ message: String, extensions: { code: 'BAD_REQUEST' } }] }, name)
  }
  const get = await app.inject({ method: 'GET', url: `/graphql?query=${encodeURIComponent('{ me { id } }')}` })
  t.equal(get.statusCode, 405)
  t.match(get.json(), { data: null, errors: [{ extensions: { code: 'METHOD_NOT_ALLOWED' } }] })
})

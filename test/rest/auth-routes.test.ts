import { createHash } from 'node:crypto'
import { openTestDatabase } from '../support/database.js'
import { ADMIN, buildTestApp, createUser, eachProvider, login, manualClock } from '../helper.js'

const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

eachProvider('login answers 201 with a token pair, by JSON or form, at both prefixes', async (t, provider) => {
  const { app } = await buildTestApp(t, provider)
  for (const url of ['/auth/login', '/api/v1/auth/login']) {
    const json = await app.inject({ method: 'POST', url, payload: { email: ADMIN.email, password: ADMIN.password } })
    t.equal(json.statusCode, 201, url)
    t.same(Object.keys(json.json()).sort(), ['access_token', 'refresh_token'])
    t.match(json.json().access_token, /^[\w-]+\.[\w-]+\.[\w-]+$/)
    t.match(json.json().refresh_token, /^[\w-]{43}$/)
  }
  const form = await app.inject({
    method: 'POST',
    url: '/auth/login',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: `email=${encodeURIComponent(ADMIN.email)}&password=${encodeURIComponent(ADMIN.password)}`
  })
  t.equal(form.statusCode, 201)
  const upper = await app.inject({ method: 'POST', url: '/auth/login', payload: { email: ADMIN.email.toUpperCase(), password: ADMIN.password } })
  t.equal(upper.statusCode, 201, 'emails are matched case-insensitively')
})

eachProvider('wrong password and unknown email get the same 401', async (t, provider) => {
  const { app } = await buildTestApp(t, provider)
  const wrong = await app.inject({ method: 'POST', url: '/auth/login', payload: { email: ADMIN.email, password: 'not-the-password' } })
  const unknown = await app.inject({ method: 'POST', url: '/auth/login', payload: { email: 'nobody@example.com', password: 'not-the-password' } })
  t.equal(wrong.statusCode, 401)
  t.same(wrong.json(), { statusCode: 401, error: 'Unauthorized', message: 'Invalid credentials' })
  t.same(unknown.json(), wrong.json())
})

eachProvider('bad login bodies answer 400 naming the field, and write nothing', async (t, provider) => {
  const { app } = await buildTestApp(t, provider)
  const cases: Array<[string, unknown, RegExp]> = [
    ['missing password', { email: ADMIN.email }, /password/],
    ['missing email', { password: 'x' }, /email/],
    ['empty object', {}, /email|password/],
    ['email of the wrong type', { email: 42, password: 'x' }, /email/],
    ['password of the wrong type', { email: ADMIN.email, password: ['x'] }, /password/],
    ['empty email', { email: '', password: 'x' }, /email/],
    ['array body', [1, 2], /body/]
  ]
  for (const [name, payload, message] of cases) {
    const res = await app.inject({ method: 'POST', url: '/auth/login', payload: payload as object })
    t.equal(res.statusCode, 400, name)
    t.equal(res.json().error, 'Bad Request', name)
    t.match(res.json().message, message, name)
  }
  const noBody = await app.inject({ method: 'POST', url: '/auth/login' })
  t.equal(noBody.statusCode, 400, 'no body')
  const malformed = await app.inject({ method: 'POST', url: '/auth/login', headers: { 'content-type': 'application/json' }, payload: '{"email":' })
  t.equal(malformed.statusCode, 400)
  t.same(Object.keys(malformed.json()).sort(), ['error', 'message', 'statusCode'])
  const huge = await app.inject({ method: 'POST', url: '/auth/login', payload: { email: ADMIN.email, password: 'x'.repeat(100_000) } })
  t.equal(huge.statusCode, 413, 'bodies over the limit')
  const text = await app.inject({ method: 'POST', url: '/auth/login', headers: { 'content-type': 'application/xml' }, payload: '<a/>' })
  t.equal(text.statusCode, 415)
  t.same(Object.keys(text.json()).sort(), ['error', 'message', 'statusCode'])
})

eachProvider('profile returns the user without any password material', async (t, provider) => {
  const { app } = await buildTestApp(t, provider)
  await createUser(app, { email: 'john@mail.com', password: 'changeme', name: 'Jhon', username: 'john', avatar: 'https://example.com/a.png' })
  const { accessToken } = await login(app, 'john@mail.com', 'changeme')
  for (const scheme of ['Bearer', 'bearer', 'BEARER']) {
    const res = await app.inject({ url: '/api/v1/auth/profile', headers: { authorization: `${scheme} ${accessToken}` } })
    t.equal(res.statusCode, 200, scheme)
    t.match(res.json(), { email: 'john@mail.com', username: 'john', name: 'Jhon', role: 'customer', avatar: 'https://example.com/a.png' })
    t.type(res.json().id, 'number')
    t.notOk(/password|hash|argon2/i.test(res.body), 'no password or hash in the body')
  }
})

eachProvider('profile refuses missing, malformed, expired and refresh tokens with 401', async (t, provider) => {
  const clock = manualClock()
  const { app } = await buildTestApp(t, provider, { clock })
  const { accessToken, refreshToken } = await login(app)
  const headers: Array<[string, Record<string, string>]> = [
    ['no header', {}],
    ['garbage', { authorization: 'Bearer garbage' }],
    ['basic scheme', { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` }],
    ['no token', { authorization: 'Bearer ' }],
    ['refresh token as bearer', bearer(refreshToken)]
  ]
  for (const [name, h] of headers) {
    const res = await app.inject({ url: '/auth/profile', headers: h })
    t.equal(res.statusCode, 401, name)
    t.equal(res.json().error, 'Unauthorized', name)
    t.equal(res.headers['www-authenticate'], 'Bearer', name)
  }
  clock.advance(901)
  const expired = await app.inject({ url: '/auth/profile', headers: bearer(accessToken) })
  t.equal(expired.statusCode, 401)
  t.equal(expired.json().message, 'Access token expired')
})

eachProvider('refresh rotates: a new pair, the old refresh token retired', async (t, provider) => {
  const clock = manualClock()
  const { app } = await buildTestApp(t, provider, { clock })
  const first = await login(app)
  const res = await app.inject({ method: 'POST', url: '/auth/refresh-token', payload: { refreshToken: first.refreshToken } })
  t.equal(res.statusCode, 201)
  const pair = res.json()
  t.not(pair.refresh_token, first.refreshToken)
  t.not(pair.access_token, first.accessToken)
  const profile = await app.inject({ url: '/auth/profile', headers: bearer(pair.access_token) })
  t.equal(profile.statusCode, 200, 'the new access token works')
  clock.advance(61) // past REFRESH_REUSE_INTERVAL
  const again = await app.inject({ method: 'POST', url: '/api/v1/auth/refresh-token', payload: { refreshToken: first.refreshToken } })
  t.equal(again.statusCode, 401, 'the presented token is retired')
  t.same(again.json(), { statusCode: 401, error: 'Unauthorized', message: 'Refresh token reuse detected; the session has been ended' })
  const next = await app.inject({ method: 'POST', url: '/auth/refresh-token', payload: { refreshToken: pair.refresh_token } })
  t.equal(next.statusCode, 401, 'reuse ended the whole session, successor included')
  const other = await login(app)
  const unaffected = await app.inject({ method: 'POST', url: '/auth/refresh-token', payload: { refreshToken: other.refreshToken } })
  t.equal(unaffected.statusCode, 201, 'other sessions live on')
})

eachProvider('refresh refuses access tokens, junk, expired tokens and bad bodies', async (t, provider) => {
  const clock = manualClock()
  const { app } = await buildTestApp(t, provider, { clock })
  const { accessToken, refreshToken } = await login(app)
  for (const [name, token] of [['an access token', accessToken], ['junk', 'x'.repeat(43)], ['unknown', 'A'.repeat(43)]]) {
    const res = await app.inject({ method: 'POST', url: '/auth/refresh-token', payload: { refreshToken: token } })
    t.equal(res.statusCode, 401, name as string)
  }
  for (const [name, payload] of [['missing', {}], ['empty', { refreshToken: '' }], ['snake_case', { refresh_token: refreshToken }], ['number', { refreshToken: 5 }]] as const) {
    const res = await app.inject({ method: 'POST', url: '/auth/refresh-token', payload })
    t.equal(res.statusCode, 400, name)
    t.match(res.json().message, /refreshToken/, name)
  }
  clock.advance(604_801)
  const expired = await app.inject({ method: 'POST', url: '/auth/refresh-token', payload: { refreshToken } })
  t.equal(expired.statusCode, 401, 'expired refresh token')
})

eachProvider('logout ends one session, logout-all every session of the user', async (t, provider) => {
  const { app } = await buildTestApp(t, provider)
  const a = await login(app)
  const b = await login(app)
  const c = await login(app)
  const out = await app.inject({ method: 'POST', url: '/auth/logout', payload: { refreshToken: a.refreshToken } })
  t.equal(out.statusCode, 200)
  t.same(out.json(), { loggedOut: true })
  t.equal((await app.inject({ method: 'POST', url: '/auth/refresh-token', payload: { refreshToken: a.refreshToken } })).statusCode, 401)
  const rotated = await app.inject({ method: 'POST', url: '/auth/refresh-token', payload: { refreshToken: b.refreshToken } })
  t.equal(rotated.statusCode, 201, 'other sessions live on')
  const unknown = await app.inject({ method: 'POST', url: '/api/v1/auth/logout', payload: { refreshToken: 'A'.repeat(43) } })
  t.equal(unknown.statusCode, 200, 'unknown tokens answer the same (RFC 7009)')
  t.equal((await app.inject({ method: 'POST', url: '/auth/logout', payload: {} })).statusCode, 400)

  const noAuth = await app.inject({ method: 'POST', url: '/auth/logout-all' })
  t.equal(noAuth.statusCode, 401)
  const all = await app.inject({ method: 'POST', url: '/auth/logout-all', headers: bearer(c.accessToken) })
  t.equal(all.statusCode, 200)
  t.same(all.json(), { revokedSessions: 2 }, 'the rotated session b and c were live')
  for (const token of [rotated.json().refresh_token, c.refreshToken]) {
    t.equal((await app.inject({ method: 'POST', url: '/auth/refresh-token', payload: { refreshToken: token } })).statusCode, 401)
  }
})

eachProvider('disabled accounts get 403, deleted users 401', async (t, provider) => {
  const { app, databaseUrl } = await buildTestApp(t, provider)
  const db = await openTestDatabase(t, databaseUrl)
  const maria = await createUser(app, { email: 'maria@mail.com', password: 'maria-pass-1', username: 'maria' })
  const john = await createUser(app, { email: 'john@mail.com', password: 'john-pass-12', username: 'john' })
  const mariaTokens = await login(app, 'maria@mail.com', 'maria-pass-1')
  const johnTokens = await login(app, 'john@mail.com', 'john-pass-12')

  await db.updateTable('users').set({ disabled: true }).where('id', '=', maria.id).execute()
  const profile = await app.inject({ url: '/auth/profile', headers: bearer(mariaTokens.accessToken) })
  t.equal(profile.statusCode, 403)
  t.same(profile.json(), { statusCode: 403, error: 'Forbidden', message: 'Account disabled' })
  const relogin = await app.inject({ method: 'POST', url: '/auth/login', payload: { email: 'maria@mail.com', password: 'maria-pass-1' } })
  t.equal(relogin.statusCode, 403, 'a disabled account cannot log in')
  const wrong = await app.inject({ method: 'POST', url: '/auth/login', payload: { email: 'maria@mail.com', password: 'wrong-password' } })
  t.equal(wrong.statusCode, 401, 'but the account state is only revealed with the right password')
  const refresh = await app.inject({ method: 'POST', url: '/auth/refresh-token', payload: { refreshToken: mariaTokens.refreshToken } })
  t.equal(refresh.statusCode, 403, 'nor refresh')

  await db.deleteFrom('users').where('id', '=', john.id).execute()
  const gone = await app.inject({ url: '/auth/profile', headers: bearer(johnTokens.accessToken) })
  t.equal(gone.statusCode, 401, 'a deleted user')
  t.equal((await app.inject({ method: 'POST', url: '/auth/refresh-token', payload: { refreshToken: johnTokens.refreshToken } })).statusCode, 401)
})

eachProvider('hashes only: neither passwords nor refresh tokens are stored', async (t, provider) => {
  const { app, databaseUrl } = await buildTestApp(t, provider)
  const { refreshToken } = await login(app)
  const db = await openTestDatabase(t, databaseUrl)
  const admin = await db.selectFrom('users').selectAll().where('email', '=', ADMIN.email).executeTakeFirstOrThrow()
  t.match(admin.passwordHash, /^\$argon2id\$v=19\$m=8192,p=1,t=1\$/)
  t.notMatch(admin.passwordHash, ADMIN.password)
  const tokens = await db.selectFrom('refreshTokens').selectAll().execute()
  t.equal(tokens.length, 1)
  t.equal(tokens[0]?.tokenHash, createHash('sha256').update(refreshToken).digest('hex'))
  const stored = JSON.stringify([tokens, await db.selectFrom('sessions').selectAll().execute(), await db.selectFrom('auditEvents').selectAll().execute()])
  t.notOk(stored.includes(refreshToken), 'the token is nowhere in the database')
  t.notOk(stored.includes(ADMIN.password), 'nor the password')
})

eachProvider('unknown routes and methods answer 404 in the same shape', async (t, provider) => {
  const { app } = await buildTestApp(t, provider)
  const res = await app.inject({ method: 'GET', url: '/api/v1/auth/login' })
  t.equal(res.statusCode, 404)
  t.same(res.json(), { statusCode: 404, error: 'Not Found', message: 'Cannot GET /api/v1/auth/login' })
  const other = await app.inject({ method: 'DELETE', url: '/nowhere?x=1' })
  t.same(other.json(), { statusCode: 404, error: 'Not Found', message: 'Cannot DELETE /nowhere' })
})

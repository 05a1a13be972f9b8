import { buildTestApp, createUser, eachProvider, login, manualClock } from '../helper.js'
import { openTestDatabase, refuseInserts } from '../support/database.js'

const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

eachProvider('password change: checks the current one, applies the policy, ends the other sessions', async (t, provider) => {
  const { app } = await buildTestApp(t, provider)
  await createUser(app, { email: 'ana@example.com', password: 'first-password', username: 'ana' })
  const here = await login(app, 'ana@example.com', 'first-password')
  const elsewhere = await login(app, 'ana@example.com', 'first-password')
  const change = (body: unknown) => app.inject({ method: 'POST', url: '/auth/password', headers: bearer(here.accessToken), payload: body as object })

  const cases: Array<[string, unknown, number, RegExp]> = [
    ['wrong current password', { currentPassword: 'not-it', newPassword: 'second-password' }, 401, /Current password is incorrect/],
    ['too short', { currentPassword: 'first-password', newPassword: 'short' }, 400, /newPassword must be at least 8 characters/],
    ['too long', { currentPassword: 'first-password', newPassword: 'x'.repeat(1025) }, 400, /newPassword must be at most 1024 characters/],
    ['unchanged', { currentPassword: 'first-password', newPassword: 'first-password' }, 400, /must differ/],
    ['missing field', { currentPassword: 'first-password' }, 400, /newPassword/],
    ['lone surrogate', { currentPassword: 'first-password', newPassword: 'abcdefgh\uD800' }, 400, /not valid text/]
  ]
  for (const [name, body, status, message] of cases) {
    const res = await change(body)
    t.equal(res.statusCode, status, name)
    t.match(res.json().message, message, name)
  }
  t.equal((await app.inject({ url: '/auth/profile', headers: bearer(elsewhere.accessToken) })).statusCode, 200, 'failed attempts end nothing')

  const long = 'a passphrase of sixty-four characters or more is accepted whole!!'
  t.ok(long.length >= 64)
  const ok = await change({ currentPassword: 'first-password', newPassword: long })
  t.equal(ok.statusCode, 200)
  t.same(ok.json(), { revokedSessions: 1 })
  t.equal((await app.inject({ method: 'POST', url: '/auth/refresh-token', payload: { refreshToken: elsewhere.refreshToken } })).statusCode, 401)
  t.equal((await app.inject({ method: 'POST', url: '/auth/refresh-token', payload: { refreshToken: here.refreshToken } })).statusCode, 201, 'this session lives on')
  const old = await app.inject({ method: 'POST', url: '/auth/login', payload: { email: 'ana@example.com', password: 'first-password' } })
  t.equal(old.statusCode, 401)
  const truncated = await app.inject({ method: 'POST', url: '/auth/login', payload: { email: 'ana@example.com', password: long.slice(0, 63) } })
  t.equal(truncated.statusCode, 401, 'no truncation')
  await login(app, 'ana@example.com', long)
  t.equal((await app.inject({ method: 'POST', url: '/auth/password', payload: { currentPassword: 'x', newPassword: 'y' } })).statusCode, 401, 'needs a token')
})

eachProvider('the current password is checked through the login throttle: a stolen access token buys no extra guesses', async (t, provider) => {
  const clock = manualClock()
  const { app } = await buildTestApp(t, provider, { clock })
  await createUser(app, { email: 'ana@example.com', password: 'first-password', username: 'ana' })
  const stolen = await login(app, 'ana@example.com', 'first-password')
  const guess = (currentPassword: string) => app.inject({
    method: 'POST', url: '/auth/password', remoteAddress: '203.0.113.9', headers: bearer(stolen.accessToken), payload: { currentPassword, newPassword: 'the-attackers-choice' }
  })
  const statuses: number[] = []
  for (let i = 0; i < 7; i++) statuses.push((await guess(`guess-${i}`)).statusCode)
  t.same(statuses, [401, 401, 401, 401, 401, 429, 429], 'five guesses, then waits')
  const waiting = await guess('first-password')
  t.equal(waiting.statusCode, 429, 'even the right one waits: it is not checked')
  t.ok(Number(waiting.headers['retry-after']) >= 1)
  const byEmail = await app.inject({ method: 'POST', url: '/auth/login', remoteAddress: '203.0.113.9', payload: { email: 'ana@example.com', password: 'first-password' } })
  t.equal(byEmail.statusCode, 429, 'the guesses count against the account\'s email, as logins would')
  clock.advance(2)
  t.equal((await guess('first-password')).statusCode, 200, 'after the wait the right password is accepted')
})

// A fault after the user's row is written and before the sessions have ended:
// the change and the sessions' end are one transaction.
eachProvider('a password change or a disabling that cannot end the sessions changes nothing', async (t, provider) => {
  const { app, databaseUrl } = await buildTestApp(t, provider)
  const db = await openTestDatabase(t, databaseUrl)
  const ana = await createUser(app, { email: 'ana@example.com', password: 'first-password', username: 'ana' })
  const here = await login(app, 'ana@example.com', 'first-password')
  const elsewhere = await login(app, 'ana@example.com', 'first-password')
  await refuseInserts(db, provider, 'revocations')

  const change = await app.inject({ method: 'POST', url: '/auth/password', headers: bearer(here.accessToken), payload: { currentPassword: 'first-password', newPassword: 'second-password' } })
  t.not(change.statusCode, 200, 'the change fails')
  t.equal((await app.inject({ method: 'POST', url: '/auth/login', payload: { email: 'ana@example.com', password: 'second-password' } })).statusCode, 401, 'the new password is not in effect')
  t.equal((await app.inject({ method: 'POST', url: '/auth/login', payload: { email: 'ana@example.com', password: 'first-password' } })).statusCode, 201, 'the old one still is')

  const admin = await login(app)
  const disable = await app.inject({ method: 'PATCH', url: `/users/${ana.id}`, headers: bearer(admin.accessToken), payload: { disabled: true } })
  t.not(disable.statusCode, 200, 'the disabling fails')
  t.equal((await app.inject({ url: '/auth/profile', headers: bearer(elsewhere.accessToken) })).statusCode, 200, 'the user is not disabled')
  const refreshed = await app.inject({ method: 'POST', url: '/auth/refresh-token', payload: { refreshToken: elsewhere.refreshToken } })
  t.equal(refreshed.statusCode, 201, 'and the other session lives on as before')
})

import { buildTestApp, createUser, eachProvider, login } from '../helper.js'

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

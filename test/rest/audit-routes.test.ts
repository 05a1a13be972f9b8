import { jwtPayload } from '../graphql/support/requests.js'
import { buildTestApp, createUser, eachProvider, login } from '../helper.js'

const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

eachProvider('security events are recorded and listed for administrators', async (t, provider) => {
  const { app } = await buildTestApp(t, provider)
  const bob = await createUser(app, { email: 'bob@example.com', password: 'bob-password-1', username: 'bob' })
  await app.inject({ method: 'POST', url: '/auth/login', headers: { 'user-agent': 'curl/8' }, payload: { email: 'bob@example.com', password: 'wrong-password' } })
  await app.inject({ method: 'POST', url: '/auth/login', payload: { email: 'nobody@example.com', password: 'whatever-1' } })
  const b = await login(app, 'bob@example.com', 'bob-password-1')
  const rotated = (await app.inject({ method: 'POST', url: '/auth/refresh-token', payload: { refreshToken: b.refreshToken } })).json()
  await app.inject({ method: 'POST', url: '/auth/logout', payload: { refreshToken: rotated.refresh_token } })
  const b2 = await login(app, 'bob@example.com', 'bob-password-1')
  await app.inject({ method: 'POST', url: '/auth/password', headers: bearer(b2.accessToken), payload: { currentPassword: 'bob-password-1', newPassword: 'bob-password-2' } })
  await app.inject({ method: 'POST', url: '/auth/logout-all', headers: bearer(b2.accessToken) })
  const admin = await login(app)
  await app.inject({ method: 'PATCH', url: `/users/${bob.id}`, headers: bearer(admin.accessToken), payload: { disabled: true } })

  const res = await app.inject({ url: `/audit?userId=${bob.id}`, headers: bearer(admin.accessToken) })
  t.equal(res.statusCode, 200)
  const events = res.json() as Array<{ id: number, type: string, actorId: number | null, sessionId: string | null, ip: string | null, userAgent: string | null, detail: Record<string, unknown> }>
  t.same(events.map(e => e.type).reverse(), [
    'user.created', 'login.failed', 'login.succeeded', 'token.refreshed', 'logout', 'login.succeeded', 'password.changed', 'logout_all', 'user.disabled'
  ])
  const adminId = Number(jwtPayload(admin.accessToken).sub)
  t.same(events.map(e => [e.type, e.actorId]).reverse(), [
    ['user.created', adminId], ['login.failed', null], ['login.succeeded', bob.id], ['token.refreshed', null], ['logout', null],
    ['login.succeeded', bob.id], ['password.changed', bob.id], ['logout_all', bob.id], ['user.disabled', adminId]
  ], 'every event names who acted, when someone authenticated did: the user, or the administrator')
  t.same(events.filter(e => e.type === 'login.succeeded').map(e => e.sessionId).reverse(), [jwtPayload(b.accessToken).sid, jwtPayload(b2.accessToken).sid], 'a login names the session it started')
  const failed = events.find(e => e.type === 'login.failed')
  t.match(failed, { ip: '127.0.0.1', userAgent: 'curl/8', detail: { login: 'bob@example.com', reason: 'wrong password' } })
  t.notOk(/wrong-password|bob-password|refresh_token/.test(res.body), 'no password or token in the trail')

  const unknown = await app.inject({ url: '/audit?type=login.failed', headers: bearer(admin.accessToken) })
  t.same(unknown.json().map((e: { detail: { login: string } }) => e.detail.login).sort(), ['bob@example.com', 'nobody@example.com'])
  const paged = await app.inject({ url: `/audit?limit=2&before=${events[0]?.id}`, headers: bearer(admin.accessToken) })
  t.equal(paged.json().length, 2)
  t.ok(paged.json().every((e: { id: number }) => e.id < (events[0]?.id as number)))

  const customer = await createUser(app, { email: 'cy@example.com', password: 'cy-password-1', username: 'cy' })
  t.ok(customer.id)
  const cy = await login(app, 'cy@example.com', 'cy-password-1')
  t.equal((await app.inject({ url: '/audit', headers: bearer(cy.accessToken) })).statusCode, 403)
  t.equal((await app.inject({ url: '/audit' })).statusCode, 401)
  t.equal((await app.inject({ url: '/audit?limit=0', headers: bearer(admin.accessToken) })).statusCode, 400)
  t.equal((await app.inject({ url: '/audit?evil=1', headers: bearer(admin.accessToken) })).statusCode, 400)
})

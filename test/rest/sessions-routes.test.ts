import { buildTestApp, createUser, eachProvider, login } from '../helper.js'

const as = (token: string, userAgent = 'test-agent') => ({ authorization: `Bearer ${token}`, 'user-agent': userAgent })

eachProvider('users list their sessions, end one, and end all the others', async (t, provider) => {
  const { app } = await buildTestApp(t, provider)
  await createUser(app, { email: 'sam@example.com', password: 'sam-password-1', username: 'sam' })
  const loginFrom = async (agent: string) => {
    const res = await app.inject({ method: 'POST', url: '/auth/login', headers: { 'user-agent': agent }, payload: { email: 'sam@example.com', password: 'sam-password-1' } })
    return res.json() as { access_token: string, refresh_token: string }
  }
  const laptop = await loginFrom('Laptop/1.0')
  const phone = await loginFrom('Phone/2.0')
  const tablet = await loginFrom('Tablet/3.0')

  const list = await app.inject({ url: '/auth/sessions', headers: as(laptop.access_token) })
  t.equal(list.statusCode, 200)
  const sessions = list.json() as Array<{ id: string, userAgent: string, ip: string, createdAt: string, lastUsedAt: string, current: boolean }>
  t.same(sessions.map(s => s.userAgent).sort(), ['Laptop/1.0', 'Phone/2.0', 'Tablet/3.0'])
  t.same(sessions.filter(s => s.current).map(s => s.userAgent), ['Laptop/1.0'], 'the current one is marked')
  t.ok(sessions.every(s => s.ip === '127.0.0.1' && !Number.isNaN(Date.parse(s.createdAt)) && !Number.isNaN(Date.parse(s.lastUsedAt))))
  t.notOk(/refresh|token_hash|tokenHash|seed/i.test(list.body), 'no token material')

  // A rotation keeps the session (same id, same start) and moves lastUsedAt.
  await app.inject({ method: 'POST', url: '/auth/refresh-token', headers: { 'user-agent': 'Phone/2.0' }, payload: { refreshToken: phone.refresh_token } })
  const afterRotation = (await app.inject({ url: '/api/v1/auth/sessions', headers: as(laptop.access_token) })).json() as typeof sessions
  t.equal(afterRotation.length, 3)
  const phoneBefore = sessions.find(s => s.userAgent === 'Phone/2.0')
  const phoneAfter = afterRotation.find(s => s.userAgent === 'Phone/2.0')
  t.equal(phoneAfter?.id, phoneBefore?.id)
  t.equal(phoneAfter?.createdAt, phoneBefore?.createdAt)

  const tabletId = sessions.find(s => s.userAgent === 'Tablet/3.0')?.id as string
  const end = await app.inject({ method: 'DELETE', url: `/auth/sessions/${tabletId}`, headers: as(laptop.access_token) })
  t.equal(end.statusCode, 200)
  t.same(end.json(), { revokedSessions: 1 })
  t.equal((await app.inject({ url: '/auth/profile', headers: as(tablet.access_token) })).statusCode, 401, 'its access token is refused')
  t.equal((await app.inject({ method: 'DELETE', url: `/auth/sessions/${tabletId}`, headers: as(laptop.access_token) })).statusCode, 404, 'already ended')

  const admin = await login(app)
  const adminSessions = (await app.inject({ url: '/auth/sessions', headers: as(admin.accessToken) })).json() as typeof sessions
  const notMine = await app.inject({ method: 'DELETE', url: `/auth/sessions/${adminSessions[0]?.id}`, headers: as(laptop.access_token) })
  t.equal(notMine.statusCode, 404, "another user's session cannot be ended")
  t.equal((await app.inject({ url: '/auth/profile', headers: as(admin.accessToken) })).statusCode, 200)

  const others = await app.inject({ method: 'DELETE', url: '/auth/sessions', headers: as(laptop.access_token) })
  t.same(others.json(), { revokedSessions: 1 }, 'the phone')
  const left = (await app.inject({ url: '/auth/sessions', headers: as(laptop.access_token) })).json() as typeof sessions
  t.same(left.map(s => s.userAgent), ['Laptop/1.0'])
  t.equal((await app.inject({ url: '/auth/sessions' })).statusCode, 401)
})

eachProvider('admins list and end any user\'s sessions, and disable users', async (t, provider) => {
  const { app } = await buildTestApp(t, provider)
  const sam = await createUser(app, { email: 'sam@example.com', password: 'sam-password-1', username: 'sam' })
  const s1 = await login(app, 'sam@example.com', 'sam-password-1')
  await login(app, 'sam@example.com', 'sam-password-1')
  const admin = await login(app)

  const listed = await app.inject({ url: `/users/${sam.id}/sessions`, headers: as(admin.accessToken) })
  t.equal(listed.statusCode, 200)
  t.equal(listed.json().length, 2)
  t.equal((await app.inject({ url: `/users/${sam.id}/sessions`, headers: as(s1.accessToken) })).statusCode, 403, 'not for customers')
  t.equal((await app.inject({ url: '/users/999999/sessions', headers: as(admin.accessToken) })).statusCode, 404)
  t.equal((await app.inject({ url: '/users/abc/sessions', headers: as(admin.accessToken) })).statusCode, 400)

  const ended = await app.inject({ method: 'DELETE', url: `/api/v1/users/${sam.id}/sessions`, headers: as(admin.accessToken) })
  t.same(ended.json(), { revokedSessions: 2 })
  t.equal((await app.inject({ url: '/auth/profile', headers: as(s1.accessToken) })).statusCode, 401)

  const s3 = await login(app, 'sam@example.com', 'sam-password-1')
  const disabled = await app.inject({ method: 'PATCH', url: `/users/${sam.id}`, headers: as(admin.accessToken), payload: { disabled: true } })
  t.equal(disabled.statusCode, 200)
  t.equal(disabled.json().disabled, true)
  const { creationAt, updatedAt } = disabled.json()
  t.ok(Date.parse(updatedAt) > Date.parse(creationAt), 'the disabling is dated, written with the sessions\' end')
  t.equal((await app.inject({ url: `/users/${sam.id}`, headers: as(admin.accessToken) })).json().updatedAt, updatedAt, 'and reads back the same')
  t.equal((await app.inject({ method: 'POST', url: '/auth/refresh-token', payload: { refreshToken: s3.refreshToken } })).statusCode, 403, 'refresh refused while disabled')
  t.equal((await app.inject({ method: 'POST', url: '/auth/login', payload: { email: 'sam@example.com', password: 'sam-password-1' } })).statusCode, 403)
  t.equal((await app.inject({ method: 'PATCH', url: `/users/${sam.id}`, headers: as(admin.accessToken), payload: { disabled: 'yes' } })).statusCode, 400)
  t.equal((await app.inject({ method: 'PATCH', url: `/users/${sam.id}`, headers: as(admin.accessToken), payload: { role: 'admin' } })).statusCode, 400)
  const enabled = await app.inject({ method: 'PATCH', url: `/users/${sam.id}`, headers: as(admin.accessToken), payload: { disabled: false } })
  t.equal(enabled.json().disabled, false)
  t.equal((await app.inject({ method: 'POST', url: '/auth/refresh-token', payload: { refreshToken: s3.refreshToken } })).statusCode, 401, 'its sessions stay ended after re-enabling')
  await login(app, 'sam@example.com', 'sam-password-1')
  t.equal((await app.inject({ url: `/users/${sam.id}`, headers: as(admin.accessToken) })).json().email, 'sam@example.com')
  t.equal((await app.inject({ method: 'DELETE', url: '/users/999999', headers: as(admin.accessToken) })).statusCode, 404)
})

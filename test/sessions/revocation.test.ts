// Ending a session reaches its access tokens, on this instance at once and on
// every instance sharing the database within a second.
import { setTimeout as sleep } from 'node:timers/promises'
import { buildApp } from '../../src/app.js'
import { buildTestApp, createUser, eachProvider, login, testConfig } from '../helper.js'

const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

eachProvider('logout, logout-all, password change, disable and delete refuse access tokens', async (t, provider) => {
  const { app } = await buildTestApp(t, provider)
  const profile = (token: string) => app.inject({ url: '/auth/profile', headers: bearer(token) })

  const a = await login(app)
  const b = await login(app)
  await app.inject({ method: 'POST', url: '/auth/logout', payload: { refreshToken: a.refreshToken } })
  t.equal((await profile(a.accessToken)).statusCode, 401, 'logout')
  t.equal((await profile(b.accessToken)).statusCode, 200, 'other sessions unaffected')
  await app.inject({ method: 'POST', url: '/auth/logout-all', headers: bearer(b.accessToken) })
  t.equal((await profile(b.accessToken)).statusCode, 401, 'logout-all')

  await createUser(app, { email: 'kim@example.com', password: 'kim-password-1', username: 'kim' })
  const kim1 = await login(app, 'kim@example.com', 'kim-password-1')
  const kim2 = await login(app, 'kim@example.com', 'kim-password-1')
  const changed = await app.inject({ method: 'POST', url: '/auth/password', headers: bearer(kim1.accessToken), payload: { currentPassword: 'kim-password-1', newPassword: 'kim-password-2' } })
  t.equal(changed.statusCode, 200)
  t.equal((await profile(kim2.accessToken)).statusCode, 401, 'password change ends the other sessions')
  t.equal((await profile(kim1.accessToken)).statusCode, 200, 'but not the one that changed it')

  const admin = await login(app)
  const kim = await login(app, 'kim@example.com', 'kim-password-2')
  const kimId = (await profile(kim.accessToken)).json().id
  await app.inject({ method: 'PATCH', url: `/users/${kimId}`, headers: bearer(admin.accessToken), payload: { disabled: true } })
  t.equal((await profile(kim.accessToken)).statusCode, 401, 'disabling the user')

  await createUser(app, { email: 'lee@example.com', password: 'lee-password-1', username: 'lee' })
  const lee = await login(app, 'lee@example.com', 'lee-password-1')
  const leeId = (await profile(lee.accessToken)).json().id
  t.equal((await app.inject({ method: 'DELETE', url: `/users/${leeId}`, headers: bearer(admin.accessToken) })).statusCode, 204)
  t.equal((await profile(lee.accessToken)).statusCode, 401, 'deleting the user')
})

eachProvider('a logout-all through one instance is honoured by another within a second', async (t, provider) => {
  const { app: first, config } = await buildTestApp(t, provider, { env: { REVOCATION_POLL_MS: '200' } })
  const second = await buildApp(testConfig(config.DATABASE_URL, { JWT_SECRET: config.JWT_SECRET as string, REVOCATION_POLL_MS: '200' }), { announce: () => {} })
  t.teardown(() => second.close())
  await second.ready()

  const { accessToken } = await login(first)
  t.equal((await second.inject({ url: '/auth/profile', headers: bearer(accessToken) })).statusCode, 200, 'the other instance accepts the token')
  const out = await first.inject({ method: 'POST', url: '/auth/logout-all', headers: bearer(accessToken) })
  t.equal(out.json().revokedSessions, 1)
  await sleep(1000)
  t.equal((await second.inject({ url: '/auth/profile', headers: bearer(accessToken) })).statusCode, 401, 'refused there one second later')
})

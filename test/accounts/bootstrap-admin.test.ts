import { buildApp } from '../../src/app.js'
import { eachProvider, freshDatabaseUrl, login, testConfig } from '../helper.js'

eachProvider('a fresh database gets an administrator with a one-time password', async (t, provider) => {
  const databaseUrl = await freshDatabaseUrl(t, provider)
  const config = testConfig(databaseUrl, { ADMIN_EMAIL: '', ADMIN_PASSWORD: '' })
  t.equal(config.ADMIN_EMAIL, undefined)
  let printed = ''
  const app = await buildApp(config, { announce: (text) => { printed += text } })
  t.teardown(() => app.close())
  await app.ready()
  const match = /First administrator: (\S+)\n\s+Password \(shown once\): (\S+)/.exec(printed)
  t.ok(match, 'the credentials are shown')
  const [, email, password] = match as RegExpExecArray
  t.equal(email, 'admin@authgate.local')
  const tokens = await login(app, email, password)
  const profile = await app.inject({ url: '/auth/profile', headers: { authorization: `Bearer ${tokens.accessToken}` } })
  t.equal(profile.json().role, 'admin')

  // A second start on the same database creates nothing and shows nothing.
  let again = ''
  const second = await buildApp(config, { announce: (text) => { again += text } })
  t.teardown(() => second.close())
  await second.ready()
  t.equal(again, '')
})

eachProvider('ADMIN_EMAIL and ADMIN_PASSWORD name the first administrator', async (t, provider) => {
  const databaseUrl = await freshDatabaseUrl(t, provider)
  let printed = ''
  const app = await buildApp(testConfig(databaseUrl, { ADMIN_EMAIL: 'ops@example.com', ADMIN_PASSWORD: 'operator-pass-1' }), { announce: (text) => { printed += text } })
  t.teardown(() => app.close())
  await app.ready()
  t.equal(printed, '', 'a chosen password is never printed')
  await login(app, 'ops@example.com', 'operator-pass-1')
  const wrong = await app.inject({ method: 'POST', url: '/auth/login', payload: { email: 'admin@authgate.local', password: 'x' } })
  t.equal(wrong.statusCode, 401)
})

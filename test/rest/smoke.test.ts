import { buildTestApp, eachProvider, login } from '../helper.js'

eachProvider('login and profile', async (t, provider) => {
  const { app } = await buildTestApp(t, provider)
  const { accessToken } = await login(app)
  const res = await app.inject({ url: '/auth/profile', headers: { authorization: `Bearer ${accessToken}` } })
  t.equal(res.statusCode, 200)
})

import { buildTestApp, eachProvider } from './helper.js'

eachProvider('liveness and readiness probes', async (t, provider) => {
  const { app } = await buildTestApp(t, provider)
  const live = await app.inject({ url: '/health/live' })
  t.equal(live.statusCode, 200)
  t.same(live.json(), { status: 'ok' })
  const ready = await app.inject({ url: '/health/ready' })
  t.equal(ready.statusCode, 200)
  t.same(ready.json(), { status: 'ok', database: 'up' })
})

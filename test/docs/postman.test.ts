// The committed Postman collection: generated from the current OpenAPI
// document, and every request passes its checks when the whole collection
// runs (newman) against a live server.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import newman, { type NewmanRunSummary } from 'newman'
import t from 'tap'
import { postmanCollection, PLANS } from '../../src/docs/postman.js'
import { ROOT } from '../setup/databases.js'
import { ADMIN, buildTestApp, eachProvider } from '../helper.js'

const COLLECTION = join(ROOT, 'postman', 'authgate.postman_collection.json')
const committed = () => JSON.parse(readFileSync(COLLECTION, 'utf8')) as { variable: Array<{ key: string, value: string }>, item: Array<{ item: unknown[] }> }

t.test('the committed collection is the one the current OpenAPI document gives', async (t) => {
  const { app } = await buildTestApp(t, 'sqlite')
  const spec = (await app.inject({ url: '/openapi.json' })).json() as object
  t.same(committed(), await postmanCollection(spec), 'up to date (regenerate with `npm run postman`)')
})

eachProvider('newman runs the whole collection against a live server and every check passes', async (t, provider) => {
  const metricsToken = 'postman-metrics-token-0123456789'
  const { app } = await buildTestApp(t, provider, { env: { METRICS_TOKEN: metricsToken } })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as { port: number }

  const collection = committed()
  const values: Record<string, string> = { baseUrl: `http://127.0.0.1:${port}`, email: ADMIN.email, password: ADMIN.password, metricsToken }
  for (const variable of collection.variable) variable.value = values[variable.key] ?? variable.value

  const summary = await new Promise<NewmanRunSummary>((resolve, reject) => {
    newman.run({ collection, reporters: [], timeoutRequest: 10_000 }, (err, result) => err !== null ? reject(err) : resolve(result))
  })
  const { stats, executions, failures } = summary.run
  t.same(failures.map(f => `${f.source?.name ?? '?'}: ${f.error.message}`), [], 'no failures')
  // Requests the scripts send (logins, the throwaway user) are executions of the item that sent them.
  const checks = new Map<string, number>()
  for (const e of executions) checks.set(e.item.name, (checks.get(e.item.name) ?? 0) + (e.assertions?.filter(a => a.error === undefined).length ?? 0))
  t.same([...checks.keys()], PLANS.map(([key]) => key.replace(/\{(\w+)\}/g, ':$1')), 'every request, in order')
  t.same([...checks].filter(([, passed]) => passed === 0).map(([name]) => name), [], 'each request checked its answer')
  t.equal(stats.assertions.failed, 0)
  t.equal(stats.prerequestScripts.failed, 0)
  t.equal(stats.testScripts.failed, 0)
  t.ok(stats.assertions.total >= 2 * checks.size - 2, `${stats.assertions.total} checks`)
})

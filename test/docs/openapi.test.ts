// /openapi.json from the route schemas, and Swagger UI at /docs.
import t from 'tap'
import { validate } from 'openapi-to-postmanv2'
import { buildTestApp } from '../helper.js'

interface Operation {
  summary?: string
  tags?: string[]
  security?: Array<Record<string, string[]>>
  parameters?: Array<{ in: string, name: string }>
  requestBody?: { content: Record<string, unknown> }
  responses: Record<string, { description: string, headers?: Record<string, unknown> }>
}

const REST_API = [
  'POST /auth/login', 'GET /auth/profile', 'POST /auth/refresh-token', 'POST /auth/logout', 'POST /auth/logout-all',
  'POST /auth/password', 'GET /auth/sessions', 'DELETE /auth/sessions', 'DELETE /auth/sessions/{id}', 'GET /auth/verify',
  'POST /users', 'GET /users/{id}', 'PATCH /users/{id}', 'DELETE /users/{id}', 'GET /users/{id}/sessions',
  'DELETE /users/{id}/sessions', 'GET /audit'
]
const OPERATIONS = [...REST_API, 'GET /health/live', 'GET /health/ready', 'GET /metrics', 'GET /.well-known/jwks.json']

t.test('the OpenAPI document describes every route, its request, its answers and the bearer scheme', async (t) => {
  const { app } = await buildTestApp(t, 'sqlite')
  const res = await app.inject({ url: '/openapi.json' })
  t.equal(res.statusCode, 200)
  const spec = res.json() as { openapi: string, info: { title: string }, paths: Record<string, Record<string, Operation>>, components: { securitySchemes: Record<string, unknown> } }
  t.equal(spec.openapi, '3.0.3')
  t.equal(spec.info.title, 'authgate')
  t.ok(validate({ type: 'json', data: spec }).result, 'a valid OpenAPI document')
  t.same(spec.components.securitySchemes.bearerAuth, {
    type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'An access token from POST /auth/login or POST /auth/refresh-token'
  })

  const operations = Object.entries(spec.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => [`${method.toUpperCase()} ${path}`, op] as const))
  t.same(operations.map(([key]) => key).sort(), [...OPERATIONS].sort(), 'every route once; GraphQL and the /api/v1 aliases left out')

  for (const [key, op] of operations) {
    const statuses = Object.keys(op.responses)
    t.ok(op.summary !== undefined && op.summary.length > 0, `${key}: summary`)
    t.ok(op.tags?.length === 1, `${key}: one tag (Postman folder)`)
    t.ok(statuses.some(s => s.startsWith('2')), `${key}: its success`)
    t.ok(statuses.includes('503'), `${key}: 503`)
    t.ok(Object.values(op.responses).every(r => r.description.length > 0 && r.description !== 'Default Response'), `${key}: every answer described`)
    if (op.security?.some(s => 'bearerAuth' in s) === true) t.ok(statuses.includes('401'), `${key}: 401`)
    if ((op.parameters?.length ?? 0) > 0 || op.requestBody !== undefined) t.ok(statuses.includes('400'), `${key}: 400`)
    if (op.requestBody !== undefined) {
      t.same(Object.keys(op.requestBody.content).sort(), ['application/json', 'application/x-www-form-urlencoded'], `${key}: both body types`)
      t.ok(statuses.includes('413') && statuses.includes('415'), `${key}: 413 and 415`)
    }
    // Forward-auth and the profile are not counted against the request budget.
    const limited = REST_API.includes(key) && key !== 'GET /auth/verify' && key !== 'GET /auth/profile'
    t.equal(statuses.includes('429'), limited, `${key}: 429 ${limited ? '' : 'not '}documented`)
  }

  const byKey = new Map(operations)
  t.same(Object.keys(byKey.get('POST /auth/login')?.responses ?? {}).sort(), ['201', '400', '401', '403', '413', '415', '429', '503'])
  t.notOk(byKey.get('POST /auth/login')?.security, 'login needs no token')
  t.same(byKey.get('GET /users/{id}')?.security, [{ bearerAuth: [] }])
  t.same(byKey.get('GET /metrics')?.security, [{ metricsToken: [] }, {}], 'the metrics token is optional')
  t.same(Object.keys(byKey.get('GET /auth/verify')?.responses['200']?.headers ?? {}), ['X-User-Id', 'X-User-Email', 'X-User-Role', 'X-User-School'])
  t.notOk('content' in (byKey.get('GET /auth/verify')?.responses['200'] ?? {}), "forward-auth's 200 has no body")
  t.same(byKey.get('GET /audit')?.parameters?.map(p => `${p.in}:${p.name}`), ['query:limit', 'query:before', 'query:type', 'query:userId'])

  for (const [key] of operations.filter(([key]) => REST_API.includes(key))) {
    const [method, path] = key.split(' ') as [string, string]
    t.ok(app.hasRoute({ method, url: '/api/v1' + path.replace(/\{(\w+)\}/g, ':$1') }), `${key} also answers under /api/v1`)
  }
})

t.test('Swagger UI at /docs: on outside production, off in production unless DOCS=true', async (t) => {
  const { app: dev } = await buildTestApp(t, 'sqlite')
  const ui = await dev.inject({ url: '/docs' })
  t.equal(ui.statusCode, 200)
  t.match(ui.headers['content-type'], /text\/html/)
  t.match(ui.body, /swagger-ui/i)
  const script = await dev.inject({ url: '/docs/static/swagger-initializer.js' })
  t.equal(script.statusCode, 200, 'its scripts are served')
  t.match(script.headers['content-security-policy'], /script-src 'self'/, 'under a policy that allows them')
  t.notMatch(script.headers['content-security-policy'], /upgrade-insecure-requests/, 'also over plain HTTP')

  const { app: production } = await buildTestApp(t, 'sqlite', { env: { NODE_ENV: 'production' } })
  t.equal((await production.inject({ url: '/docs' })).statusCode, 404)
  t.equal((await production.inject({ url: '/openapi.json' })).statusCode, 200, 'the document itself is still served')

  const { app: enabled } = await buildTestApp(t, 'sqlite', { env: { NODE_ENV: 'production', DOCS: 'true' } })
  t.equal((await enabled.inject({ url: '/docs' })).statusCode, 200)

  const { app: disabled } = await buildTestApp(t, 'sqlite', { env: { DOCS: 'false' } })
  t.equal((await disabled.inject({ url: '/docs' })).statusCode, 404)
})

// Security headers on every response, no caching of the auth API's answers,
// and CORS: CORS_ORIGINS for the REST API (and /graphql unless
// GRAPHQL_CORS_ORIGINS says otherwise), while /service/Auth keeps its
// CollectiveAccess contract whatever the settings.
import { buildTestApp, eachProvider, login } from '../helper.js'
import { bearer, graphql, serviceAuth } from '../graphql/support/requests.js'

const API_HEADERS = {
  'content-security-policy': "default-src 'none';frame-ancestors 'none';base-uri 'none';form-action 'none'",
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY'
}

/**
 * helmet's headers for documents a browser renders, and the one that keeps
 * other sites from loading an answer: pages get them, JSON answers do not.
 */
const DOCUMENT_ONLY_HEADERS = [
  'cross-origin-opener-policy', 'cross-origin-resource-policy', 'origin-agent-cluster', 'referrer-policy',
  'x-dns-prefetch-control', 'x-download-options', 'x-permitted-cross-domain-policies', 'x-xss-protection'
]

const SERVICE_AUTH_CORS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'POST, GET, OPTIONS, DELETE, PUT',
  'access-control-allow-headers': 'x-requested-with, Content-Type, origin, authorization, accept, client-security-token'
}

eachProvider('security headers on every surface; nothing is cached unless its route says so', async (t, provider) => {
  const { app } = await buildTestApp(t, provider)
  const { accessToken } = await login(app)
  const responses = {
    rest: await app.inject({ url: '/auth/profile', headers: bearer(accessToken) }),
    restError: await app.inject({ method: 'POST', url: '/auth/login', payload: {} }),
    graphql: await graphql(app, '{ me { id } }', { headers: bearer(accessToken) }),
    serviceAuth: await serviceAuth(app, '{ validate { id } }', { headers: bearer(accessToken) }),
    health: await app.inject({ url: '/health/live' }),
    jwks: await app.inject({ url: '/.well-known/jwks.json' }),
    notFound: await app.inject({ url: '/nowhere' })
  }
  for (const [name, res] of Object.entries(responses)) {
    t.match(res.headers, API_HEADERS, name)
    for (const header of DOCUMENT_ONLY_HEADERS) t.notOk(header in res.headers, `${name}: no ${header}, which only a rendered document acts on`)
  }
  for (const name of ['rest', 'restError', 'graphql', 'serviceAuth', 'health', 'notFound'] as const) {
    t.equal(responses[name].headers['cache-control'], 'no-store', `${name}: no answer is stored unless its route says so`)
  }
  t.equal(responses.jwks.headers['cache-control'], 'public, max-age=300', 'the public keys stay cacheable')

  const pageCsp = "default-src 'none';script-src 'self';style-src 'self';img-src 'self' data:;font-src 'self' data:;connect-src 'self';frame-ancestors 'none';base-uri 'none';form-action 'none'"
  const graphiql = await app.inject({ url: '/graphiql' })
  t.equal(graphiql.statusCode, 200)
  t.equal(graphiql.headers['content-security-policy'], pageCsp, 'GraphiQL runs scripts of the gateway only')
  t.match(graphiql.headers, { ...API_HEADERS, 'content-security-policy': pageCsp }, 'and keeps the other headers')
  for (const header of DOCUMENT_ONLY_HEADERS) t.ok(header in graphiql.headers, `a page carries ${header}`)
  t.match(graphiql.headers, { 'referrer-policy': 'no-referrer', 'cross-origin-resource-policy': 'same-origin' })
  t.equal((await app.inject({ url: '/service/graphiql' })).headers['content-security-policy'], pageCsp)

  // Forward-auth answers are read by a proxy, never rendered: no-store only, and
  // nosniff on a refusal's JSON body (a 200 has none).
  const proxyDrops = ['content-security-policy', 'strict-transport-security', 'x-frame-options', 'referrer-policy', 'cross-origin-resource-policy']
  for (const url of ['/auth/verify', '/api/v1/auth/verify/any/path']) {
    const verify = await app.inject({ url, headers: bearer(accessToken) })
    t.equal(verify.statusCode, 200, url)
    t.equal(verify.headers['cache-control'], 'no-store', `${url}: not stored`)
    for (const name of [...proxyDrops, 'x-content-type-options']) t.notOk(verify.headers[name], `${url}: no ${name}`)
    const refusals = [
      await app.inject({ url, headers: bearer('not.a.token') }),
      await app.inject({ method: 'POST', url, headers: { ...bearer(accessToken), 'content-type': 'text/plain' }, payload: 'x'.repeat(20_000) })
    ]
    t.same(refusals.map(r => r.statusCode), [401, 413], `${url}: a bad token, a body over BODY_LIMIT`)
    for (const refusal of refusals) {
      t.equal(refusal.headers['x-content-type-options'], 'nosniff', `${url} ${refusal.statusCode}: its JSON body is not sniffed`)
      t.match(refusal.json(), { statusCode: refusal.statusCode })
      for (const name of proxyDrops) t.notOk(refusal.headers[name], `${url} ${refusal.statusCode}: no ${name}`)
    }
  }
})

eachProvider('no CORS_ORIGINS: the REST API and /graphql send no CORS headers; /service/Auth keeps its own', async (t, provider) => {
  const { app } = await buildTestApp(t, provider)
  const origin = { origin: 'https://app.example' }
  const rest = await app.inject({ method: 'POST', url: '/auth/login', headers: origin, payload: {} })
  t.notOk(rest.headers['access-control-allow-origin'])
  const preflight = await app.inject({ method: 'OPTIONS', url: '/auth/login', headers: { ...origin, 'access-control-request-method': 'POST' } })
  t.equal(preflight.statusCode, 404, 'no preflight route')
  t.notOk((await graphql(app, '{ __typename }', { headers: origin })).headers['access-control-allow-origin'])
  t.match((await serviceAuth(app, '{ __typename }', { headers: origin })).headers, SERVICE_AUTH_CORS)
})

eachProvider('CORS_ORIGINS lets the listed origins call the REST API and /graphql, never with credentials', async (t, provider) => {
  const { app } = await buildTestApp(t, provider, { env: { CORS_ORIGINS: 'https://app.example, https://admin.example/' } })
  const preflight = await app.inject({
    method: 'OPTIONS',
    url: '/auth/login',
    headers: { origin: 'https://admin.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' }
  })
  t.equal(preflight.statusCode, 204)
  t.match(preflight.headers, {
    'access-control-allow-origin': 'https://admin.example',
    'access-control-allow-methods': 'GET, POST, PATCH, DELETE',
    'access-control-allow-headers': 'content-type, authorization',
    'access-control-max-age': '600',
    vary: /Origin/
  })
  t.notOk(preflight.headers['access-control-allow-credentials'], 'tokens are not cookies')

  const loginRes = await app.inject({ method: 'POST', url: '/auth/login', headers: { origin: 'https://app.example' }, payload: { email: 'admin@example.com', password: 'admin-password-123' } })
  t.equal(loginRes.statusCode, 201)
  t.equal(loginRes.headers['access-control-allow-origin'], 'https://app.example')
  t.match(loginRes.headers['access-control-expose-headers'], /retry-after/, 'scripts may read how long to wait')
  const evil = await app.inject({ url: '/auth/profile', headers: { origin: 'https://evil.example' } })
  t.notOk(evil.headers['access-control-allow-origin'], 'an unlisted origin gets nothing')

  const gql = await graphql(app, '{ __typename }', { headers: { origin: 'https://app.example' } })
  t.equal(gql.headers['access-control-allow-origin'], 'https://app.example', '/graphql follows CORS_ORIGINS')
  t.equal(gql.headers['access-control-expose-headers'], 'X-Authorization, Authorization')
  const gqlPreflight = await app.inject({ method: 'OPTIONS', url: '/graphql', headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' } })
  t.equal(gqlPreflight.statusCode, 200, "/graphql's own preflight answer")
  t.equal(gqlPreflight.headers['access-control-allow-methods'], 'POST, OPTIONS')

  const ca = await app.inject({ method: 'OPTIONS', url: '/service/Auth', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } })
  t.equal(ca.statusCode, 200)
  t.equal(ca.body, '')
  t.match(ca.headers, SERVICE_AUTH_CORS, '/service/Auth keeps the CollectiveAccess contract')
})

eachProvider('GRAPHQL_CORS_ORIGINS overrides CORS_ORIGINS for /graphql only; "*" allows any origin', async (t, provider) => {
  const { app } = await buildTestApp(t, provider, { env: { CORS_ORIGINS: 'https://app.example', GRAPHQL_CORS_ORIGINS: 'https://school.example' } })
  t.notOk((await graphql(app, '{ __typename }', { headers: { origin: 'https://app.example' } })).headers['access-control-allow-origin'])
  t.equal((await graphql(app, '{ __typename }', { headers: { origin: 'https://school.example' } })).headers['access-control-allow-origin'], 'https://school.example')
  const rest = await app.inject({ method: 'POST', url: '/auth/logout', headers: { origin: 'https://school.example' }, payload: { refreshToken: 'x'.repeat(43) } })
  t.notOk(rest.headers['access-control-allow-origin'], 'the REST API keeps CORS_ORIGINS')
  t.equal((await app.inject({ method: 'POST', url: '/auth/logout', headers: { origin: 'https://app.example' }, payload: { refreshToken: 'x'.repeat(43) } })).headers['access-control-allow-origin'], 'https://app.example')

  const { app: any } = await buildTestApp(t, provider, { env: { CORS_ORIGINS: '*' } })
  const res = await any.inject({ method: 'POST', url: '/auth/logout', headers: { origin: 'https://anywhere.example' }, payload: { refreshToken: 'x'.repeat(43) } })
  t.equal(res.headers['access-control-allow-origin'], '*')
  t.notOk(res.headers['access-control-allow-credentials'])
})

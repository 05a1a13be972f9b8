// What the GraphQL endpoints reveal and to whom: GraphiQL, introspection,
// CORS on /graphql, and the per-request bounds on width.
import { ADMIN, buildTestApp, eachProvider, login as restLogin } from '../helper.js'
import { graphiqlSettings } from './support/graphiql.js'
import { bearer, graphql, serviceAuth } from './support/requests.js'

const PRODUCTION = { NODE_ENV: 'production', JWT_SECRET: 'q8N2vX4mB7kL1pR9sT3wY6zA5cD0fG2hJ4nM8bV' }
const INTROSPECT = '{ __schema { queryType { name } } }'

eachProvider('outside production: GraphiQL on both endpoints, and introspection', async (t, provider) => {
  const { app } = await buildTestApp(t, provider)
  for (const [url, endpoint] of [['/graphiql', '/graphql'], ['/service/graphiql', '/service/Auth']] as const) {
    const page = await app.inject({ url })
    t.equal(page.statusCode, 200, url)
    t.match(page.headers['content-type'], /text\/html/)
    t.equal(new URL(graphiqlSettings(page.body).endpoint, `http://gateway${url}`).pathname, endpoint, `${url} points at ${endpoint}`)
  }
  t.same((await graphql(app, INTROSPECT)).json(), { data: { __schema: { queryType: { name: 'Query' } } } })
  t.same((await serviceAuth(app, INTROSPECT)).json(), { ok: true, data: { __schema: { queryType: { name: 'Auth' } } } }, 'the root type is named Auth')

  const { app: off } = await buildTestApp(t, provider, { env: { GRAPHIQL: 'false' } })
  t.equal((await off.inject({ url: '/graphiql' })).statusCode, 404, 'GRAPHIQL=false')
  t.equal((await off.inject({ url: '/service/graphiql' })).statusCode, 404)
})

eachProvider('in production: GraphiQL only when GRAPHIQL=true, and introspection only when enabled', async (t, provider) => {
  const { app } = await buildTestApp(t, provider, { env: PRODUCTION })
  t.equal((await app.inject({ url: '/graphiql' })).statusCode, 404, 'no GraphiQL in production by default')
  t.equal((await app.inject({ url: '/service/graphiql' })).statusCode, 404)
  const ns = await graphql(app, INTROSPECT)
  t.equal(ns.statusCode, 400)
  t.match(ns.json().errors, [{ message: /introspection has been disabled/, extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }])
  const ca = await serviceAuth(app, '{ __type(name: "User") { name } }')
  t.equal(ca.statusCode, 400)
  t.equal(ca.json().ok, false)
  t.same((await graphql(app, '{ __typename }')).json(), { data: { __typename: 'Query' } }, '__typename is not introspection')
  const { accessToken } = await restLogin(app)
  t.equal((await graphql(app, '{ me { id } }', { headers: bearer(accessToken) })).statusCode, 200, 'the endpoint itself works')

  const { app: open } = await buildTestApp(t, provider, { env: { ...PRODUCTION, GRAPHQL_INTROSPECTION: 'true' } })
  t.same((await graphql(open, INTROSPECT)).json(), { data: { __schema: { queryType: { name: 'Query' } } } }, 'GRAPHQL_INTROSPECTION=true')
  t.equal((await serviceAuth(open, INTROSPECT)).json().ok, true)
  t.equal((await open.inject({ url: '/graphiql' })).statusCode, 404)

  const { app: withGraphiql } = await buildTestApp(t, provider, { env: { ...PRODUCTION, GRAPHIQL: 'true' } })
  t.equal((await withGraphiql.inject({ url: '/graphiql' })).statusCode, 200, 'GRAPHIQL=true serves GraphiQL in production')
  t.equal((await withGraphiql.inject({ url: '/service/graphiql' })).statusCode, 200)
  t.equal((await graphql(withGraphiql, INTROSPECT)).statusCode, 400, 'introspection stays off: GRAPHQL_INTROSPECTION decides it')
})

eachProvider('/graphql sends CORS headers only for the origins GRAPHQL_CORS_ORIGINS lists', async (t, provider) => {
  const { app } = await buildTestApp(t, provider)
  const plain = await graphql(app, '{ __typename }', { headers: { origin: 'https://app.example' } })
  t.equal(plain.statusCode, 200)
  t.notOk(plain.headers['access-control-allow-origin'], 'no CORS by default')

  const { app: listed } = await buildTestApp(t, provider, { env: { GRAPHQL_CORS_ORIGINS: 'https://app.example, https://admin.example/' } })
  const allowed = await graphql(listed, 'query($p: String!) { loginUser(username: "admin", password: $p) { id } }', { headers: { origin: 'https://admin.example' }, variables: { p: ADMIN.password } })
  t.match(allowed.headers, {
    'access-control-allow-origin': 'https://admin.example',
    vary: /Origin/,
    'access-control-expose-headers': 'X-Authorization, Authorization'
  }, 'a listed origin may read the token headers')
  t.notOk(allowed.headers['access-control-allow-credentials'], 'never credentials mode: tokens are not cookies')
  const other = await graphql(listed, '{ __typename }', { headers: { origin: 'https://evil.example' } })
  t.notOk(other.headers['access-control-allow-origin'], 'an unlisted origin gets nothing')
  const preflight = await listed.inject({ method: 'OPTIONS', url: '/graphql', headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' } })
  t.equal(preflight.statusCode, 200)
  t.equal(preflight.body, '')
  t.match(preflight.headers, { 'access-control-allow-origin': 'https://app.example', 'access-control-allow-methods': 'POST, OPTIONS', 'access-control-allow-headers': 'content-type, authorization' })

  const { app: any } = await buildTestApp(t, provider, { env: { GRAPHQL_CORS_ORIGINS: '*' } })
  t.equal((await graphql(any, '{ __typename }', { headers: { origin: 'https://anywhere.example' } })).headers['access-control-allow-origin'], '*')
})

eachProvider('a request may hold at most 15 aliases', async (t, provider) => {
  const { app } = await buildTestApp(t, provider)
  const { accessToken } = await restLogin(app)
  const aliased = (n: number) => '{ ' + Array.from({ length: n }, (_, i) => `a${i}: me { id }`).join(' ') + ' }'
  const fifteen = await graphql(app, aliased(15), { headers: bearer(accessToken) })
  t.equal(fifteen.statusCode, 200)
  t.equal(Object.keys(fifteen.json().data).length, 15)
  const sixteen = await graphql(app, aliased(16), { headers: bearer(accessToken) })
  t.equal(sixteen.statusCode, 400)
  t.match(sixteen.json().errors, [{ message: /Too many aliases/, extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }])
  const ca = await serviceAuth(app, '{ ' + Array.from({ length: 16 }, (_, i) => `v${i}: validate { id }`).join(' ') + ' }', { headers: bearer(accessToken) })
  t.equal(ca.statusCode, 400)
  t.equal(ca.json().ok, false)
})

// What one GraphQL request may cost, and CSRF: depth, tokens, directives,
// one login and one refresh per request however aliased, POST with JSON
// only (no GET mutations, no form or text posts), no batches.
import { getIntrospectionQuery } from 'graphql'
import { countRows, openTestDatabase } from '../support/database.js'
import { ADMIN, buildTestApp, createUser, eachProvider, login as restLogin } from '../helper.js'
import { bearer, graphql, graphqlLogin, serviceAuth } from './support/requests.js'

eachProvider('queries deeper than GRAPHQL_MAX_DEPTH are refused; introspection is not counted', async (t, provider) => {
  const { app } = await buildTestApp(t, provider, { env: { GRAPHQL_MAX_DEPTH: '2' } })
  const { accessToken } = await restLogin(app)
  t.equal((await graphql(app, '{ me { id } }', { headers: bearer(accessToken) })).statusCode, 200, 'two levels')

  const deep = await graphql(app, 'mutation { login(username: "admin", password: "x") { user { id } } }')
  t.equal(deep.statusCode, 400)
  t.match(deep.json(), { data: null, errors: [{ message: 'Query too deep: 3 levels, at most 2 allowed', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }] })
  const viaFragments = await graphql(app, 'mutation { ...L } fragment L on Mutation { login(username: "admin", password: "x") { ... on AuthPayload { ...U } } } fragment U on AuthPayload { user { id } }')
  t.equal(viaFragments.statusCode, 400, 'fragments and inline fragments are followed')
  t.match(viaFragments.json().errors, [{ message: /too deep: 3 levels/ }])
  const ca = await serviceAuth(app, '{ login(username: "admin", password: "x") { user { id } } }')
  t.equal(ca.statusCode, 400)
  t.match(ca.json(), { ok: false, errors: [{ message: /too deep/, extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }] })

  const introspection = await graphql(app, '{ __schema { types { fields { type { ofType { name } } } } } }')
  t.equal(introspection.statusCode, 200, 'GraphiQL can still read the schema outside production')

  const { app: defaults } = await buildTestApp(t, provider)
  t.equal((await graphql(defaults, 'mutation { login(username: "admin", password: "x") { user { id } } }')).statusCode, 401, 'the default (6) fits every query the schemas allow')
})

eachProvider('documents of more than GRAPHQL_MAX_TOKENS tokens are not even parsed', async (t, provider) => {
  const { app } = await buildTestApp(t, provider)
  const { accessToken } = await restLogin(app)
  const fields = (n: number) => '{ ' + Array.from({ length: n }, () => 'me { id }').join(' ') + ' }'
  const big = await graphql(app, fields(300), { headers: bearer(accessToken) })
  t.equal(big.statusCode, 400)
  t.match(big.json(), { data: null, errors: [{ message: /contains more that 1000 tokens/, extensions: { code: 'GRAPHQL_PARSE_FAILED' } }] })
  const ca = await serviceAuth(app, '{ ' + 'validate { id } '.repeat(300) + '}')
  t.equal(ca.statusCode, 400)
  t.match(ca.json(), { ok: false, errors: [{ message: /1000 tokens/ }] })
  t.equal((await graphql(app, fields(200), { headers: bearer(accessToken) })).statusCode, 200, '800 tokens pass')
  t.equal((await graphql(app, getIntrospectionQuery())).statusCode, 200, "GraphiQL's schema query fits")
})

eachProvider('more than 50 directives in a request are refused', async (t, provider) => {
  const { app } = await buildTestApp(t, provider)
  const { accessToken } = await restLogin(app)
  const directives = (n: number) => `{ me { id ${'__typename @include(if: true) '.repeat(n)} } }`
  t.equal((await graphql(app, directives(50), { headers: bearer(accessToken) })).statusCode, 200)
  const over = await graphql(app, directives(51), { headers: bearer(accessToken) })
  t.equal(over.statusCode, 400)
  t.match(over.json().errors, [{ message: 'Too many directives: at most 50 per request', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }])
})

eachProvider('aliased, spread or repeated login and refresh fields are refused: one check per request', async (t, provider) => {
  const { app, databaseUrl } = await buildTestApp(t, provider)
  const { refreshToken } = await graphqlLogin(app, ADMIN.email, ADMIN.password)
  const db = await openTestDatabase(t, databaseUrl)
  const failedBefore = await countRows(db, 'auditEvents', { type: 'login.failed' })
  const aliased = (field: string, n: number) => Array.from({ length: n }, (_, i) => `a${i}: ${field}`).join(' ')

  const cases: Array<[string, () => ReturnType<typeof graphql>, RegExp]> = [
    ['15 aliased logins on /graphql', () => graphql(app, `mutation { ${aliased(`login(username: "admin", password: "g") { accessToken }`, 15)} }`), /one login/],
    ['logins spread from fragments', () => graphql(app, 'mutation { ...A ...B } fragment A on Mutation { a: login(username: "admin", password: "1") { accessToken } } fragment B on Mutation { b: login(username: "admin", password: "2") { accessToken } }'), /one login/],
    ['loginUser twice', () => graphql(app, `{ ${aliased('loginUser(username: "admin", password: "g") { id }', 2)} }`), /one login/],
    ['two refreshToken', () => graphql(app, `mutation { ${aliased(`refreshToken(refreshToken: "${refreshToken}") { accessToken }`, 2)} }`), /one refresh/],
    ['15 aliased logins on /service/Auth', () => serviceAuth(app, `{ ${aliased('login(username: "admin", password: "g") { jwt }', 15)} }`), /one login/],
    ['two refresh on /service/Auth', () => serviceAuth(app, `{ ${aliased(`refresh(token: "${refreshToken}") { jwt }`, 2)} }`), /one refresh/]
  ]
  for (const [name, send, message] of cases) {
    const res = await send()
    t.equal(res.statusCode, 400, name)
    t.match(res.json().errors, [{ message, extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }], name)
  }
  t.equal(await countRows(db, 'auditEvents', { type: 'login.failed' }), failedBefore, 'not one password was checked')

  const both = await graphql(app, `mutation { login(username: "admin", password: "${ADMIN.password}") { accessToken } refreshToken(refreshToken: "${refreshToken}") { accessToken } }`)
  t.equal(both.statusCode, 200, 'one login and one refresh together are fine')
})

eachProvider('CSRF: POSTs a browser form could send are refused on both endpoints before they are read', async (t, provider) => {
  const { app, databaseUrl } = await buildTestApp(t, provider)
  const db = await openTestDatabase(t, databaseUrl)
  const sessions = await countRows(db, 'sessions')
  const mutation = JSON.stringify({ query: `mutation { login(username: "admin", password: "${ADMIN.password}") { accessToken } }` })
  const query = JSON.stringify({ query: `{ login(username: "admin", password: "${ADMIN.password}") { jwt } }` })
  const types = ['text/plain', 'text/plain; charset=utf-8', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']
  for (const [url, body] of [['/graphql', mutation], ['/service/Auth', query]] as const) {
    for (const type of types) {
      for (const extra of [{}, { 'mercurius-require-preflight': 'true' }]) {
        const res = await app.inject({ method: 'POST', url, headers: { 'content-type': type, origin: 'https://evil.example', ...extra }, payload: body })
        const name = `${url} ${type}${Object.keys(extra).length > 0 ? ' with a preflight header' : ''}`
        t.equal(res.statusCode, 400, name)
        t.match(res.json().errors, [{ message: /Cross-Site Request Forgery/, extensions: { code: 'BAD_REQUEST' } }], name)
        if (url === '/service/Auth') t.equal(res.json().ok, false, name)
      }
    }
    const none = await app.inject({ method: 'POST', url, payload: body, headers: { 'content-type': '' } })
    t.equal(none.statusCode, 400, `${url} without a content type`)
  }
  t.equal(await countRows(db, 'sessions'), sessions, 'no session was opened')

  const json = await app.inject({ method: 'POST', url: '/graphql', headers: { 'content-type': 'application/json; charset=utf-8' }, payload: mutation })
  t.equal(json.statusCode, 200, 'JSON (which needs a CORS preflight) is served')
  const gql = await app.inject({ method: 'POST', url: '/service/Auth', headers: { 'content-type': 'application/graphql' }, payload: `{ login(username: "admin", password: "${ADMIN.password}") { jwt } }` })
  t.equal(gql.statusCode, 200, 'so is application/graphql')
  t.type(gql.json().data.login.jwt, 'string')
})

eachProvider('CSRF: no operation runs over GET, mutations least of all', async (t, provider) => {
  const { app, databaseUrl } = await buildTestApp(t, provider)
  const db = await openTestDatabase(t, databaseUrl)
  const { accessToken } = await restLogin(app)
  const sessions = await countRows(db, 'sessions', { endedAt: null })
  const get = (url: string, query: string) => app.inject({ method: 'GET', url: `${url}?query=${encodeURIComponent(query)}`, headers: bearer(accessToken) })
  for (const [url, query] of [
    ['/graphql', 'mutation { logoutAll }'],
    ['/graphql', `mutation { login(username: "admin", password: "${ADMIN.password}") { accessToken } }`],
    ['/graphql', '{ me { id } }'],
    ['/service/Auth', `{ login(username: "admin", password: "${ADMIN.password}") { jwt } }`]
  ] as const) {
    const res = await get(url, query)
    t.equal(res.statusCode, 405, `GET ${url} ${query.slice(0, 20)}`)
    t.equal(res.headers.allow, 'POST, OPTIONS')
  }
  t.equal(await countRows(db, 'sessions', { endedAt: null }), sessions, 'logoutAll did not run, no login opened a session')
  t.equal((await app.inject({ url: '/auth/profile', headers: bearer(accessToken) })).statusCode, 200, 'the session is still live')
})

eachProvider('batched requests are refused on both endpoints', async (t, provider) => {
  const { app } = await buildTestApp(t, provider)
  const batch = JSON.stringify([{ query: '{ __typename }' }, { query: '{ __typename }' }])
  for (const url of ['/graphql', '/service/Auth']) {
    const res = await app.inject({ method: 'POST', url, headers: { 'content-type': 'application/json' }, payload: batch })
    t.equal(res.statusCode, 400, url)
    t.match(res.json().errors, [{ extensions: { code: 'BAD_REQUEST' } }], url)
  }
})

for (const cache of ['1024', '0']) {
  eachProvider(`GRAPHQL_QUERY_CACHE=${cache}: a repeated operation text runs with its own variables and is held to every limit again`, async (t, provider) => {
    const { app } = await buildTestApp(t, provider, { env: { GRAPHQL_QUERY_CACHE: cache } })
    await createUser(app, { email: 'maria@mail.com', username: 'maria', password: 'maria-pass-1234' })
    const text = 'mutation($u: String!, $p: String!) { login(username: $u, password: $p) { user { username } } }'
    for (const [username, password, status] of [['admin', ADMIN.password, 200], ['maria', 'maria-pass-1234', 200], ['maria', 'wrong-pass-1234', 401], ['admin', ADMIN.password, 200]] as const) {
      const res = await graphql(app, text, { variables: { u: username, p: password } })
      t.equal(res.statusCode, status, `${username} ${status}`)
      if (status === 200) t.equal(res.json().data.login.user.username, username, 'the answer is for these variables')
    }

    const twoLogins = 'mutation { a: login(username: "admin", password: "g") { accessToken } b: login(username: "admin", password: "g") { accessToken } }'
    for (let i = 0; i < 2; i++) {
      const res = await graphql(app, twoLogins)
      t.equal(res.statusCode, 400, `two logins refused, time ${i + 1}`)
      t.match(res.json().errors, [{ message: /one login/ }])
    }
    const me = '{ me { id } }'
    const { accessToken } = await restLogin(app)
    t.equal((await graphql(app, me, { headers: bearer(accessToken) })).statusCode, 200, 'allowed over POST')
    const get = await app.inject({ method: 'GET', url: `/graphql?query=${encodeURIComponent(me)}`, headers: bearer(accessToken) })
    t.equal(get.statusCode, 405, 'the same text is still refused over GET')
  })
}

// No body, however malformed or hostile, makes a GraphQL operation answer
// 5xx or write a row: over a thousand generated bodies to every operation of
// both endpoints (wrong types, huge strings, deep JSON, unicode edge cases,
// NUL bytes, prototype-pollution keys), each answered in the surface's shape.
import { countRows, openTestDatabase } from '../support/database.js'
import { buildTestApp, eachProvider, login } from '../helper.js'

interface Operation {
  endpoint: '/graphql' | '/service/Auth'
  /** The root field, with its arguments and their GraphQL types. */
  field: string
  kind: 'query' | 'mutation'
  args: Record<string, string>
  selection: string
  /** Sent with a valid access token, so hostile arguments reach the resolver. */
  bearer?: boolean
  /** A 200 the contract allows for some well-formed but unknown value. */
  allowed?: (data: Record<string, unknown>) => boolean
}

// CollectiveAccess clients test `jwt` for null: a refused login is 200 with null fields and an error.
const refusedLogin = (data: Record<string, unknown>) => {
  const login = data.login as Record<string, unknown> | null | undefined
  return login === null || (typeof login === 'object' && Object.values(login).every(v => v === null))
}

const OPERATIONS: Operation[] = [
  { endpoint: '/service/Auth', field: 'login', kind: 'query', args: { username: 'String', password: 'String' }, selection: '{ id jwt refresh user { id } }', allowed: refusedLogin },
  { endpoint: '/service/Auth', field: 'refresh', kind: 'query', args: { token: 'String' }, selection: '{ jwt }' },
  { endpoint: '/service/Auth', field: 'validate', kind: 'query', args: { jwt: 'String' }, selection: '{ id username }' },
  { endpoint: '/graphql', field: 'me', kind: 'query', args: {}, selection: '{ id }' },
  { endpoint: '/graphql', field: 'loginUser', kind: 'query', args: { email: 'String', username: 'String', password: 'String!' }, selection: '{ id }' },
  { endpoint: '/graphql', field: 'sessions', kind: 'query', args: {}, selection: '{ id current }' },
  { endpoint: '/graphql', field: 'login', kind: 'mutation', args: { username: 'String!', password: 'String!' }, selection: '{ accessToken refreshToken }' },
  { endpoint: '/graphql', field: 'refreshToken', kind: 'mutation', args: { refreshToken: 'String!' }, selection: '{ accessToken }' },
  // RFC 7009: logging out an unknown token answers true.
  { endpoint: '/graphql', field: 'logout', kind: 'mutation', args: { refreshToken: 'String!' }, selection: '', allowed: data => data.logout === true },
  { endpoint: '/graphql', field: 'logoutAll', kind: 'mutation', args: {}, selection: '' },
  // No such live session: false.
  { endpoint: '/graphql', field: 'revokeSession', kind: 'mutation', args: { id: 'ID!' }, selection: '', bearer: true, allowed: data => data.revokeSession === false },
  { endpoint: '/graphql', field: 'revokeOtherSessions', kind: 'mutation', args: {}, selection: '' }
]

function deep (levels: number): unknown {
  let value: unknown = 'x'
  for (let i = 0; i < levels; i++) value = { a: value }
  return value
}

const STRINGS = [
  '', ' ', '\u0000', 'a\u0000b', '\uD800', '\uDC00x', '\uFEFFadmin', 'admin\u200B', 'ad\u202Emin', 'e\u0301'.repeat(200), '👩‍👩‍👧‍👦'.repeat(40),
  '𝕏'.repeat(50), 'é'.repeat(2000), '<script>alert(1)</script>', "' OR 1=1 --", '"; DROP TABLE users; --', '../../etc/passwd', '%00', '${jndi:ldap://x}',
  'eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.', 'x'.repeat(5000), 'x'.repeat(20_000)
]
const VALUES: unknown[] = [null, true, false, 0, -1, 1.5, 1e308, [], {}, ['a'], { $gt: '' }, { __proto__: { admin: true } }, { constructor: { prototype: { admin: true } } }, deep(500), ...STRINGS]

/** The operation text with every argument passed as a variable of its declared type. */
function withVariables (op: Operation): string {
  const names = Object.keys(op.args)
  const declared = names.length > 0 ? `(${names.map(n => `$${n}: ${op.args[n]}`).join(', ')})` : ''
  const passed = names.length > 0 ? `(${names.map(n => `${n}: $${n}`).join(', ')})` : ''
  return `${op.kind} Op${declared} { ${op.field}${passed} ${op.selection} }`
}

/** A plausible value for every argument, so each case changes one thing. */
function baseline (op: Operation): Record<string, unknown> {
  return Object.fromEntries(Object.keys(op.args).map(n => [n, n === 'password' ? 'not-the-password' : n === 'email' ? 'nobody@example.com' : 'nobody']))
}

/** Raw bodies: [content-type, payload]. */
function bodies (op: Operation): Array<[string, string]> {
  const json = 'application/json'
  const out: Array<[string, string]> = []
  const query = withVariables(op)
  const vars = baseline(op)
  // Each argument, as a variable, set to each hostile value.
  for (const name of Object.keys(op.args)) {
    for (const value of VALUES) out.push([json, JSON.stringify({ query, variables: { ...vars, [name]: value } })])
    // Inline literals: strings as GraphQL strings, and values of the wrong kind.
    for (const value of STRINGS.slice(0, 18)) {
      const inline = Object.entries(op.args).map(([n]) => `${n}: ${n === name ? JSON.stringify(value) : JSON.stringify(vars[n])}`).join(', ')
      out.push([json, JSON.stringify({ query: `${op.kind} { ${op.field}(${inline}) ${op.selection} }` })])
    }
    for (const literal of ['42', 'true', 'null', '["a"]', '{ a: 1 }', 'ENUM', '$undeclared', '"""block"""']) {
      out.push([json, JSON.stringify({ query: `${op.kind} { ${op.field}(${name}: ${literal}) ${op.selection} }` })])
    }
  }
  // The envelope itself.
  for (const envelope of [
    { query, variables: 'not an object' }, { query, variables: [vars] }, { query, variables: null }, { query, variables: 42 },
    { query, operationName: 42 }, { query, operationName: 'Nope' }, { query, operationName: '\u0000' }, { query, extensions: 'x' },
    { query, extensions: { persistedQuery: { version: 1, sha256Hash: 'x' } } }, { query: `${query} ${query}` }, { query: query + '}' },
    { query: query.replace(op.field, `${op.field}(unknown: 1)`) }, { query: `${op.kind} Op { ${op.field} { nope } }` },
    { query: query.replace(/\{ \w/, '{ __proto__') }, { query, variables: { ...vars, __proto__: { polluted: true } } },
    { query, variables: { ...vars, constructor: { prototype: { polluted: true } } } },
    { query: `${op.kind} { ${Array.from({ length: 16 }, (_, i) => `a${i}: ${op.field}`).join(' ')} }` },
    { query: `${op.kind} { ${op.field} @skip(if: "yes") }` }, { query: `${op.kind} Op($v: Nope) { ${op.field} }` },
    { query: 'x'.repeat(15_000) }, { query: '{'.repeat(3000) }, { query: `subscription { ${op.field} }` }, { query: '' }, { query: ' \u0000 ' },
    { query, variables: vars, batch: [query] }
  ]) {
    out.push([json, JSON.stringify(envelope)])
  }
  for (const raw of [
    '{', '}', 'null', '[]', '"str"', '1', 'true', '{"query":', '{"query":"{ me { id } }",}', '\u0000', `{"__proto__":{"admin":true},"query":${JSON.stringify(query)}}`,
    `{"constructor":{"prototype":{"admin":true}},"query":${JSON.stringify(query)}}`, JSON.stringify(deep(3000)), '['.repeat(5000),
    `{"query":"{ __typename }","query":${JSON.stringify(query)}}`, `\uFEFF{"query":${JSON.stringify(query)}}`, `[{"query":${JSON.stringify(query)}}]`
  ]) {
    out.push([json, raw])
  }
  for (const type of ['application/json; charset=utf-16', 'application/xml', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/octet-stream', '']) {
    out.push([type, JSON.stringify({ query, variables: vars })])
  }
  return out
}

interface Shape {
  ok?: unknown
  data?: unknown
  errors?: Array<{ message?: unknown, extensions?: { code?: unknown } }>
}

function problem (op: Operation, status: number, body: Shape | null, raw: string): string | null {
  if (status >= 500) return 'a 5xx'
  if (body === null) return 'not JSON'
  if (op.endpoint === '/service/Auth' && !raw.startsWith('{"ok":')) return 'no leading "ok"'
  const errors = body.errors
  const shaped = Array.isArray(errors) && errors.length > 0 && errors.every(e => typeof e.message === 'string' && typeof e.extensions?.code === 'string')
  if (status >= 400) {
    if (!shaped) return 'an error out of shape'
    if (op.endpoint === '/service/Auth' && body.ok !== false) return 'ok is not false'
    return null
  }
  const data = (body.data ?? {}) as Record<string, unknown>
  // A refused login still says why; logout and revokeSession simply answer.
  if (op.endpoint === '/service/Auth' && (!shaped || body.ok !== false)) return `a success (${status})`
  if (op.allowed?.(data) === true) return null
  return `a success (${status})`
}

eachProvider('hostile GraphQL bodies get a 4xx in the surface\'s shape and write nothing', async (t, provider) => {
  const { app, databaseUrl } = await buildTestApp(t, provider)
  const db = await openTestDatabase(t, databaseUrl)
  const { accessToken } = await login(app)
  const counts = async () => [await countRows(db, 'users'), await countRows(db, 'sessions'), await countRows(db, 'sessions', { endedAt: null })]
  const before = await counts()
  const failures: string[] = []
  const perOperation: Record<string, number> = {}
  for (const op of OPERATIONS) {
    const key = `${op.endpoint} ${op.field}`
    perOperation[key] = 0
    for (const [type, payload] of bodies(op)) {
      const headers: Record<string, string> = type === '' ? {} : { 'content-type': type }
      if (op.bearer === true) headers.authorization = `Bearer ${accessToken}`
      const res = await app.inject({ method: 'POST', url: op.endpoint, headers, payload })
      perOperation[key]++
      let body: Shape | null = null
      try {
        body = JSON.parse(res.body) as Shape
      } catch {}
      const wrong = problem(op, res.statusCode, body, res.body)
      if (wrong !== null) failures.push(`${key} [${type}] ${payload.slice(0, 80)} -> ${wrong}: ${res.statusCode} ${res.body.slice(0, 160)}`)
    }
  }
  const total = Object.values(perOperation).reduce((a, b) => a + b, 0)
  t.same(failures.slice(0, 20), [], `${total} requests, none answered 5xx, out of shape or with an undue success`)
  t.ok(total >= 1000, `at least 1000 bodies (${total})`)
  for (const [key, n] of Object.entries(perOperation)) t.ok(n >= 40, `${key}: ${n} bodies`)
  t.same(await counts(), before, 'no user or session was written, and no session ended')
  t.equal((await app.inject({ url: '/auth/profile', headers: { authorization: `Bearer ${accessToken}` } })).statusCode, 200, 'the gateway still serves')
})

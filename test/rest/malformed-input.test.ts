// No request, however malformed, makes a REST route answer 5xx or write a row.
import { countRows, openTestDatabase } from '../support/database.js'
import { buildTestApp, eachProvider, login } from '../helper.js'

const ROUTES: Array<{ method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, auth?: boolean }> = [
  { method: 'POST', url: '/auth/login' },
  { method: 'POST', url: '/api/v1/auth/login' },
  { method: 'GET', url: '/auth/profile', auth: true },
  { method: 'POST', url: '/auth/refresh-token' },
  { method: 'POST', url: '/auth/logout' },
  { method: 'POST', url: '/users', auth: true },
  { method: 'POST', url: '/auth/password', auth: true },
  { method: 'PATCH', url: '/users/1', auth: true },
  { method: 'DELETE', url: '/auth/sessions/%00', auth: true },
  { method: 'DELETE', url: '/users/abc/sessions', auth: true },
  { method: 'GET', url: '/audit?limit=%00', auth: true },
  // Last: it ends the session whose token the others use.
  { method: 'POST', url: '/auth/logout-all', auth: true }
]

function deep (levels: number): unknown {
  let value: unknown = 'x'
  for (let i = 0; i < levels; i++) value = { a: value }
  return value
}

const STRINGS = ['', ' ', '\u0000', 'a\u0000b', '\uD800', '𝕏'.repeat(50), 'é'.repeat(2000), '<script>', "' OR 1=1 --", '../../etc/passwd', 'x'.repeat(20_000)]
const VALUES: unknown[] = [null, true, 0, -1, 1e308, [], {}, ['a'], { $gt: '' }, ...STRINGS]

/** Raw bodies: [content-type, payload]. */
function bodies (): Array<[string, string]> {
  const out: Array<[string, string]> = []
  const json = 'application/json'
  for (const raw of ['{', '}', '{"email":', 'null', '[]', '"str"', '1', 'true', '{"a":1,}', '\u0000', '{"__proto__":{"admin":true}}',
    '{"constructor":{"prototype":{"admin":true}}}', JSON.stringify(deep(2000)), '[' .repeat(5000), '{"email":"a@b.c","password":"x","email":"dup"}']) {
    out.push([json, raw])
  }
  for (const field of ['email', 'password', 'refreshToken', 'username', 'role', 'schoolId']) {
    for (const value of VALUES) {
      out.push([json, JSON.stringify({ email: 'a@example.com', password: 'password-1', refreshToken: 'r'.repeat(43), [field]: value })])
    }
  }
  for (const raw of ['email=&password=', 'email[]=a&password=b', 'email=a%00&password=%ZZ', '%', '=&=&=', 'email=' + 'a'.repeat(20_000), '__proto__[admin]=1&email=a&password=b']) {
    out.push(['application/x-www-form-urlencoded', raw])
  }
  for (const type of ['text/plain', 'application/xml', 'multipart/form-data; boundary=x', 'application/json; charset=utf-16', 'application/octet-stream', '']) {
    out.push([type, '{"email":"a@example.com","password":"x"}'])
  }
  return out
}

eachProvider('hostile bodies and headers get a 4xx in the REST shape and write nothing', async (t, provider) => {
  const { app, databaseUrl } = await buildTestApp(t, provider)
  const db = await openTestDatabase(t, databaseUrl)
  const { accessToken } = await login(app)
  const counts = async () => [await countRows(db, 'users'), await countRows(db, 'sessions'), await countRows(db, 'refreshTokens')]
  const before = await counts()
  let checked = 0
  const failures: string[] = []
  for (const route of ROUTES) {
    for (const [type, payload] of bodies()) {
      const headers: Record<string, string> = type === '' ? {} : { 'content-type': type }
      if (route.auth === true) headers.authorization = `Bearer ${accessToken}`
      const res = await app.inject({ method: route.method, url: route.url, headers, payload })
      checked++
      const body = res.headers['content-type']?.toString().startsWith('application/json') ? res.json() : null
      const shaped = body !== null && typeof body.statusCode === 'number' && typeof body.error === 'string' && typeof body.message === 'string'
      // GET routes ignore bodies, logout-all needs none, and logout answers 200 to any
      // well-formed token (RFC 7009): a success is fine there.
      const okStatus = res.statusCode < 500 && (res.statusCode >= 400 || route.method === 'GET' || /logout/.test(route.url))
      if (!okStatus || (res.statusCode >= 400 && !shaped)) failures.push(`${route.method} ${route.url} [${type}] ${payload.slice(0, 60)} -> ${res.statusCode} ${res.body.slice(0, 120)}`)
    }
  }
  const headerCases = ['Bearer', 'Bearer  ', 'Bearer a b', 'Bearer \u0000', `Bearer ${'a'.repeat(8000)}`, 'Bearer ..', 'Bearer e30.e30.', 'Bearer eyJhbGciOiJub25lIn0.e30.', 'Token x', '🙂']
  for (const authorization of headerCases) {
    const res = await app.inject({ url: '/auth/profile', headers: { authorization } })
    checked++
    if (res.statusCode !== 401) failures.push(`profile with "${authorization.slice(0, 30)}" -> ${res.statusCode}`)
  }
  t.same(failures, [], `${checked} requests, none answered 5xx or out of shape`)
  t.ok(checked > 500)
  // logout-all with a valid token ended the login's session: only revocations, no new rows.
  t.same(await counts(), before, 'no user or session row was written')
})

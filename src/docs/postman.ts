// Builds the Postman collection from the OpenAPI document: openapi-to-postmanv2
// converts it, then every request gets working values (variables instead of
// placeholders), checks of its answer, and an order in which the whole
// collection runs from top to bottom. A collection-level pre-request script
// logs in with {{email}} and {{password}} and keeps the tokens.
// Development only: `npm run postman` writes postman/authgate.postman_collection.json.
import { createHash } from 'node:crypto'

type Json = Record<string, unknown>

interface Script { listen: 'prerequest' | 'test', script: { type: 'text/javascript', exec: string[] } }

/** What a request of the collection sends and checks; keyed by "METHOD /openapi/path". */
interface Plan {
  /** "none": no Authorization; "metrics": {{metricsToken}}; otherwise the kept access token. */
  auth?: 'none' | 'metrics' | 'throwaway'
  body?: Json
  path?: Record<string, string>
  query?: Record<string, string>
  prerequest?: string[]
  test: string[]
}

const status = (code: number) => `pm.test('answers ${code}', () => pm.response.to.have.status(${code}))`
const keepTokens = [
  'const pair = pm.response.json()',
  "pm.collectionVariables.set('accessToken', pair.access_token)",
  "pm.collectionVariables.set('refreshToken', pair.refresh_token)"
]
/** After a request that ended the kept session: the next request logs in again. */
const forgetTokens = ["pm.collectionVariables.unset('accessToken')", "pm.collectionVariables.unset('refreshToken')"]
const json = (lines: string) => `{ mode: 'raw', raw: JSON.stringify(${lines}), options: { raw: { language: 'json' } } }`
const adminAuthorization = "{ key: 'Authorization', value: 'Bearer ' + pm.collectionVariables.get('accessToken') }"
const adminHeaders = `[{ key: 'Content-Type', value: 'application/json' }, ${adminAuthorization}]`

/** In the order the collection runs; folders follow the order of their first request. */
export const PLANS: Array<[string, Plan]> = [
  ['GET /health/live', { auth: 'none', test: [status(200), "pm.test('status ok', () => pm.expect(pm.response.json().status).to.equal('ok'))"] }],
  ['GET /health/ready', { auth: 'none', test: [status(200), "pm.test('database up', () => pm.expect(pm.response.json().database).to.equal('up'))"] }],
  ['GET /metrics', { auth: 'metrics', test: [status(200), "pm.test('Prometheus text', () => pm.expect(pm.response.text()).to.include('authgate_http_requests_total'))"] }],
  ['GET /.well-known/jwks.json', { auth: 'none', test: [status(200), "pm.test('a key set', () => pm.expect(pm.response.json().keys).to.be.an('array'))"] }],
  ['POST /auth/login', {
    auth: 'none',
    body: { email: '{{email}}', password: '{{password}}' },
    test: [status(201), ...keepTokens, "pm.test('a token pair', () => pm.expect(pair.refresh_token).to.be.a('string'))"]
  }],
  ['GET /auth/profile', { test: [status(200), "pm.test('my profile', () => pm.expect(pm.response.json().email).to.equal(pm.variables.get('email').trim().toLowerCase()))"] }],
  ['POST /auth/refresh-token', {
    auth: 'none',
    body: { refreshToken: '{{refreshToken}}' },
    test: [status(201), "const previous = pm.collectionVariables.get('refreshToken')", ...keepTokens, "pm.test('a new refresh token', () => pm.expect(pair.refresh_token).to.not.equal(previous))"]
  }],
  ['POST /auth/password', {
    // Changes the password of a throwaway user, never {{email}}'s: created here, deleted by the tests below.
    auth: 'throwaway',
    body: { currentPassword: '{{throwawayPassword}}', newPassword: '{{throwawayNewPassword}}' },
    prerequest: [
      '// A throwaway user, so running the collection never changes the password of {{email}}.',
      "const base = pm.variables.get('baseUrl')",
      "const password = 'postman-' + Math.random().toString(36).slice(2) + '-A1'",
      "const email = 'postman-' + Date.now() + '-' + Math.random().toString(36).slice(2, 8) + '@example.com'",
      `pm.sendRequest({ url: base + '/users', method: 'POST', header: ${adminHeaders}, body: ${json('{ email, password, name: \'Postman throwaway\' }')} }, (err, created) => {`,
      "  if (err || created.code !== 201) return console.error('could not create the throwaway user', err || created.text())",
      "  pm.collectionVariables.set('throwawayUserId', String(created.json().id))",
      "  pm.collectionVariables.set('throwawayPassword', password)",
      "  pm.collectionVariables.set('throwawayNewPassword', password + '-changed')",
      `  pm.sendRequest({ url: base + '/auth/login', method: 'POST', header: [{ key: 'Content-Type', value: 'application/json' }], body: ${json('{ email, password }')} }, (err, login) => {`,
      "    if (err || login.code !== 201) return console.error('could not log in as the throwaway user', err || login.text())",
      "    pm.collectionVariables.set('throwawayAccessToken', login.json().access_token)",
      '  })',
      '})'
    ],
    test: [
      status(200),
      "pm.test('other sessions ended', () => pm.expect(pm.response.json().revokedSessions).to.be.a('number'))",
      "pm.sendRequest({ url: pm.variables.get('baseUrl') + '/users/' + pm.collectionVariables.get('throwawayUserId'), method: 'DELETE', header: [" + adminAuthorization + '] }, (err, res) => {',
      "  pm.test('throwaway user deleted', () => pm.expect(err || res.code).to.equal(204))",
      "  for (const name of ['throwawayUserId', 'throwawayPassword', 'throwawayNewPassword', 'throwawayAccessToken']) pm.collectionVariables.unset(name)",
      '})'
    ]
  }],
  ['POST /auth/logout', {
    auth: 'none',
    body: { refreshToken: '{{refreshToken}}' },
    test: [status(200), "pm.test('logged out', () => pm.expect(pm.response.json().loggedOut).to.equal(true))", ...forgetTokens]
  }],
  ['POST /auth/logout-all', { test: [status(200), "pm.test('sessions ended', () => pm.expect(pm.response.json().revokedSessions).to.be.at.least(1))", ...forgetTokens] }],
  ['GET /auth/verify', {
    test: [status(200), "pm.test('identity headers', () => pm.expect(pm.response.headers.get('X-User-Email')).to.equal(encodeURIComponent(pm.variables.get('email').trim().toLowerCase()).replace(/%40/g, '@')))"]
  }],
  ['GET /auth/sessions', {
    test: [
      status(200),
      'const current = pm.response.json().find(s => s.current)',
      "pm.test('this session is listed', () => pm.expect(current).to.be.an('object'))",
      "pm.collectionVariables.set('sessionId', current.id)"
    ]
  }],
  ['DELETE /auth/sessions', { test: [status(200), "pm.test('a count', () => pm.expect(pm.response.json().revokedSessions).to.be.a('number'))"] }],
  ['DELETE /auth/sessions/{id}', {
    path: { id: '{{sessionId}}' },
    test: [status(200), "pm.test('one session ended', () => pm.expect(pm.response.json().revokedSessions).to.equal(1))", ...forgetTokens]
  }],
  ['POST /users', {
    body: { email: '{{userEmail}}', password: '{{userPassword}}', name: 'Postman example', role: 'customer' },
    prerequest: [
      "pm.collectionVariables.set('userEmail', 'postman-' + Date.now() + '-' + Math.random().toString(36).slice(2, 8) + '@example.com')",
      "pm.collectionVariables.set('userPassword', 'postman-' + Math.random().toString(36).slice(2) + '-A1')"
    ],
    test: [status(201), 'const user = pm.response.json()', "pm.test('the new user', () => pm.expect(user.email).to.equal(pm.collectionVariables.get('userEmail')))", "pm.collectionVariables.set('userId', String(user.id))"]
  }],
  ['GET /users/{id}', { path: { id: '{{userId}}' }, test: [status(200), "pm.test('that user', () => pm.expect(String(pm.response.json().id)).to.equal(pm.collectionVariables.get('userId')))"] }],
  ['PATCH /users/{id}', { path: { id: '{{userId}}' }, body: { disabled: false }, test: [status(200), "pm.test('enabled', () => pm.expect(pm.response.json().disabled).to.equal(false))"] }],
  ['GET /users/{id}/sessions', { path: { id: '{{userId}}' }, test: [status(200), "pm.test('a list', () => pm.expect(pm.response.json()).to.be.an('array'))"] }],
  ['DELETE /users/{id}/sessions', { path: { id: '{{userId}}' }, test: [status(200), "pm.test('a count', () => pm.expect(pm.response.json().revokedSessions).to.be.a('number'))"] }],
  ['DELETE /users/{id}', { path: { id: '{{userId}}' }, test: [status(204), "pm.collectionVariables.unset('userId')"] }],
  ['GET /audit', { query: { limit: '20' }, test: [status(200), "pm.test('events, newest first', () => pm.expect(pm.response.json()).to.be.an('array').that.is.not.empty)"] }]
]

const COLLECTION_PREREQUEST = [
  '// Logs in with {{email}} and {{password}} unless the kept access token is valid for another',
  '// 30 seconds, and keeps both tokens (accessToken, refreshToken). Requests with their own',
  '// Authorization (login, refresh, probes, metrics) do not need it.',
  "const own = pm.request.auth && pm.request.auth.type !== 'inherit'",
  'function expiresAt (token) {',
  '  try {',
  "    const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')",
  "    return JSON.parse(require('atob')(part + '='.repeat((4 - part.length % 4) % 4))).exp",
  '  } catch (e) {',
  '    return 0',
  '  }',
  '}',
  "if (!own && expiresAt(pm.collectionVariables.get('accessToken') || '') < Date.now() / 1000 + 30) {",
  '  pm.sendRequest({',
  "    url: pm.variables.get('baseUrl') + '/auth/login',",
  "    method: 'POST',",
  "    header: [{ key: 'Content-Type', value: 'application/json' }],",
  "    body: { mode: 'raw', raw: JSON.stringify({ email: pm.variables.get('email'), password: pm.variables.get('password') }) }",
  '  }, (err, res) => {',
  "    if (err || res.code !== 201) return console.error('login with {{email}} and {{password}} failed', err || res.text())",
  "    pm.collectionVariables.set('accessToken', res.json().access_token)",
  "    pm.collectionVariables.set('refreshToken', res.json().refresh_token)",
  '  })',
  '}'
]

const VARIABLES: Array<[string, string, string]> = [
  ['baseUrl', 'http://localhost:3000', 'Where the gateway answers'],
  ['email', 'admin@authgate.local', 'An administrator (the users and audit requests need the admin role)'],
  ['password', '', "That administrator's password"],
  ['metricsToken', '', 'METRICS_TOKEN, when the gateway sets it'],
  ['accessToken', '', 'Kept by the pre-request script and the login and refresh requests'],
  ['refreshToken', '', 'Kept with the access token'],
  ['sessionId', '', 'Set by GET /auth/sessions'],
  ['userId', '', 'Set by POST /users'],
  ['userEmail', '', 'Generated for POST /users'],
  ['userPassword', '', 'Generated for POST /users']
]

function script (listen: Script['listen'], exec: string[]): Script {
  return { listen, script: { type: 'text/javascript', exec } }
}

/** Removes the converter's random ids, so regenerating writes the same file. */
function withoutIds (value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutIds)
  if (typeof value !== 'object' || value === null) return value
  return Object.fromEntries(Object.entries(value).filter(([k]) => k !== 'id' && k !== '_postman_id').map(([k, v]) => [k, withoutIds(v)]))
}

/** "METHOD /openapi/{path}" of a converted request (Postman writes path variables as ":name"). */
function keyOf (request: Json): string {
  const url = request.url as { path: string[] }
  const path = '/' + url.path.map(s => s.startsWith(':') ? `{${s.slice(1)}}` : s).join('/')
  return `${String(request.method)} ${path}`
}

function finishRequest (request: Json, plan: Plan): Json {
  const url = request.url as { path: string[], host: string[], query?: Json[], variable?: Json[] }
  const method = String(request.method)
  const headers = ((request.header as Json[] | undefined) ?? []).filter(h => h.key !== 'Content-Type')
  const out: Json = {
    method,
    header: plan.body !== undefined ? [{ key: 'Content-Type', value: 'application/json' }, ...headers] : headers,
    url: {
      raw: '{{baseUrl}}/' + url.path.join('/') + (plan.query !== undefined ? '?' + Object.entries(plan.query).map(([k, v]) => `${k}=${v}`).join('&') : ''),
      host: ['{{baseUrl}}'],
      path: url.path,
      ...(plan.query !== undefined ? { query: Object.entries(plan.query).map(([key, value]) => ({ key, value })) } : {}),
      ...(plan.path !== undefined ? { variable: Object.entries(plan.path).map(([key, value]) => ({ key, value })) } : {})
    },
    description: request.description ?? {}
  }
  if (plan.body !== undefined) out.body = { mode: 'raw', raw: JSON.stringify(plan.body, null, 2), options: { raw: { language: 'json' } } }
  if (plan.auth === 'none') out.auth = { type: 'noauth' }
  if (plan.auth === 'metrics') out.auth = { type: 'bearer', bearer: [{ key: 'token', value: '{{metricsToken}}', type: 'string' }] }
  if (plan.auth === 'throwaway') out.auth = { type: 'bearer', bearer: [{ key: 'token', value: '{{throwawayAccessToken}}', type: 'string' }] }
  if (out.description === undefined || (typeof out.description === 'object' && Object.keys(out.description as object).length === 0)) delete out.description
  return out
}

/**
 * A seeded stand-in for Math.random: the converter fakes example values
 * (free-form objects, patterned ids) with Math.random, and the committed
 * collection must come out the same on every run.
 */
function seededRandom (seed: number): () => number {
  let state = seed
  return () => {
    state = (state + 0x6d2b79f5) | 0
    let r = Math.imul(state ^ (state >>> 15), 1 | state)
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296
  }
}

async function convert (spec: object): Promise<Json> {
  const random = Math.random
  Math.random = seededRandom(7)
  try {
    return await convertWith(spec)
  } finally {
    Math.random = random
  }
}

function convertWith (spec: object): Promise<Json> {
  return new Promise((resolve, reject) => {
    import('openapi-to-postmanv2').then(({ convertV2 }) => {
      convertV2({ type: 'json', data: spec }, {
        folderStrategy: 'Tags',
        parametersResolution: 'Schema',
        requestNameSource: 'Fallback',
        alwaysInheritAuthentication: true
      }, (err, result) => {
        const data = result?.output?.[0]?.data
        if (err !== null || result?.result !== true || data === undefined) reject(new Error(`openapi-to-postmanv2: ${err?.message ?? result?.reason ?? 'no collection'}`))
        else resolve(data as Json)
      })
    }, reject)
  })
}

/** The collection for an OpenAPI document; throws when a documented operation has no plan, or a plan no operation. */
export async function postmanCollection (spec: object): Promise<Json> {
  const converted = withoutIds(await convert(spec)) as Json
  const plans = new Map(PLANS)
  const order = new Map(PLANS.map(([key], i) => [key, i]))
  const seen = new Set<string>()

  const folders = (converted.item as Json[]).map((folder) => {
    const items = (folder.item as Json[]).map((item) => {
      const request = item.request as Json
      const key = keyOf(request)
      const plan = plans.get(key)
      if (plan === undefined) throw new Error(`no Postman plan for ${key}: add one to PLANS in src/docs/postman.ts`)
      seen.add(key)
      const finished = finishRequest(request, plan)
      // Examples of every documented answer; their requests would repeat the request itself.
      const responses = ((item.response as Json[] | undefined) ?? []).map(({ originalRequest: _, ...example }) => example)
      return {
        key,
        item: {
          name: key.replace(/\{(\w+)\}/g, ':$1'),
          event: [...(plan.prerequest !== undefined ? [script('prerequest', plan.prerequest)] : []), script('test', plan.test)],
          request: { ...finished, description: String(request.name ?? '') },
          response: responses
        }
      }
    }).sort((a, b) => (order.get(a.key) ?? 0) - (order.get(b.key) ?? 0))
    return { first: order.get(items[0]?.key ?? '') ?? 0, folder: { name: folder.name, description: folder.description, item: items.map(i => i.item) } }
  }).sort((a, b) => a.first - b.first).map(f => f.folder)

  const missing = PLANS.map(([key]) => key).filter(key => !seen.has(key))
  if (missing.length > 0) throw new Error(`planned requests not in the OpenAPI document: ${missing.join(', ')}`)

  const info = converted.info as Json
  return {
    info: {
      _postman_id: uuidFrom('authgate'),
      name: 'authgate',
      schema: info.schema,
      description: {
        content: [
          (info.description as { content?: string } | undefined)?.content ?? '',
          '',
          'Set baseUrl, email and password (an administrator) in the collection variables. Before each request, the',
          'collection logs in with them unless it keeps a valid access token, so every request can be sent on its own;',
          'run the whole collection top to bottom to exercise every route. POST /auth/password changes the password',
          'of a throwaway user it creates and deletes, never yours; POST /auth/logout-all ends your other sessions.'
        ].join('\n'),
        type: 'text/markdown'
      }
    },
    auth: { type: 'bearer', bearer: [{ key: 'token', value: '{{accessToken}}', type: 'string' }] },
    event: [script('prerequest', COLLECTION_PREREQUEST)],
    variable: VARIABLES.map(([key, value, description]) => ({ key, value, description })),
    item: folders
  }
}

/** A stable UUID-shaped id, so the collection keeps its identity across regenerations. */
function uuidFrom (text: string): string {
  const h = createHash('sha256').update(text).digest('hex')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`
}

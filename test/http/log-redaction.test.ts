// Logs without secrets: the whole log of a login, a refresh, a header-token
// login and the jwt argument, at the most verbose level, holds none of the
// passwords or tokens that went through, whether in bodies, headers,
// arguments or query strings.
import { Writable } from 'node:stream'
import Fastify from 'fastify'
import t from 'tap'
import { deferredBindings, gatewayLogging, redactingLogger, redactUrl } from '../../src/http/log-redaction.js'
import { ADMIN, buildTestApp, createUser, eachProvider } from '../helper.js'
import { bearer, graphql, serviceAuth } from '../graphql/support/requests.js'

function capture () {
  const chunks: string[] = []
  const stream = new Writable({
    write (chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString('utf8'))
      done()
    }
  })
  const text = () => chunks.join('')
  /** The log's lines, each parsed. */
  const lines = () => text().trim().split('\n').map(line => JSON.parse(line) as Record<string, unknown>)
  return { stream, text, lines }
}

eachProvider('a full login, refresh, header-token and jwt-argument flow leaves no secret in the log', async (t, provider) => {
  const log = capture()
  const { app } = await buildTestApp(t, provider, { logger: { level: 'trace', stream: log.stream } })
  const password = 'maria-secret-pass-7'
  await createUser(app, { email: 'maria@mail.com', username: 'maria', password })
  const secrets: Record<string, string> = { password, adminPassword: ADMIN.password }

  // REST: login, profile with the bearer token, refresh with the token in the body, a form-encoded login.
  const rest = (await app.inject({ method: 'POST', url: '/auth/login', payload: { email: 'maria@mail.com', password } })).json()
  secrets.restAccess = rest.access_token
  secrets.restRefresh = rest.refresh_token
  t.equal((await app.inject({ url: '/auth/profile', headers: bearer(rest.access_token) })).statusCode, 200)
  const rotated = (await app.inject({ method: 'POST', url: '/auth/refresh-token', payload: { refreshToken: rest.refresh_token } })).json()
  secrets.rotatedAccess = rotated.access_token
  secrets.rotatedRefresh = rotated.refresh_token
  const form = await app.inject({ method: 'POST', url: '/auth/login', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: `email=maria%40mail.com&password=${password}` })
  t.equal(form.statusCode, 201)
  secrets.formRefresh = form.json().refresh_token
  // A token in a query string, where a careless client might put it.
  t.equal((await app.inject({ url: `/auth/profile?access_token=${rest.access_token}` })).statusCode, 401)

  // /graphql: login and refreshToken with variables, and the header-token loginUser with an inline password.
  const ns = (await graphql(app, 'mutation($u: String!, $p: String!) { login(username: $u, password: $p) { accessToken refreshToken } }', { variables: { u: 'maria', p: password } })).json().data.login
  secrets.nsAccess = ns.accessToken
  secrets.nsRefresh = ns.refreshToken
  const renewed = (await graphql(app, 'mutation($r: String!) { refreshToken(refreshToken: $r) { accessToken } }', { variables: { r: ns.refreshToken } })).json()
  secrets.nsRenewed = renewed.data.refreshToken.accessToken
  const header = await graphql(app, `{ loginUser(email: "maria@mail.com", password: "${password}") { id } }`)
  secrets.headerToken = header.headers['x-authorization'] as string
  t.equal((await graphql(app, '{ me { id } }', { headers: { authorization: `Bearer ${secrets.headerToken}` } })).statusCode, 200)

  // /service/Auth: login, refresh by argument, validate with the jwt argument, and a jwt in a GET query string.
  const ca = (await serviceAuth(app, `{ login(username: "maria", password: "${password}") { jwt refresh } }`)).json().data.login
  secrets.caJwt = ca.jwt
  secrets.caRefresh = ca.refresh
  const caRenewed = (await serviceAuth(app, `{ refresh(token: "${ca.refresh}") { jwt } }`)).json().data.refresh.jwt
  secrets.caRenewed = caRenewed
  t.equal((await serviceAuth(app, `{ validate(jwt: "${ca.jwt}") { id } }`)).statusCode, 200)
  t.equal((await serviceAuth(app, 'query($j: String) { validate(jwt: $j) { id } }', { variables: { j: caRenewed } })).statusCode, 200)
  t.equal((await app.inject({ url: `/service/Auth?jwt=${ca.jwt}&query=${encodeURIComponent(`{ validate(jwt: "${caRenewed}") { id } }`)}` })).statusCode, 405)

  // Anything later code might log: bodies, variables, headers of requests and replies.
  app.log.info({ body: { password, refreshToken: ca.refresh }, variables: { jwt: ca.jwt }, req: { headers: { authorization: `Bearer ${ca.jwt}` } }, res: { headers: { 'x-authorization': secrets.headerToken } } }, 'what a handler might log')

  for (const [name, value] of Object.entries(secrets)) t.type(value, 'string', `${name} was issued`)
  const text = log.text()
  t.equal(text.match(/"msg":"incoming request"/g)?.length, 16, 'each of the 16 requests was logged')
  t.match(text, /"url":"\/service\/Auth\?jwt=\[redacted\]&query=\[redacted\]"/, 'URLs are logged with their query values redacted')
  t.match(text, /"password":"\[redacted\]"/, 'a logged password shows as redacted')
  for (const [name, value] of Object.entries(secrets)) {
    t.notOk(text.includes(value), `${name} is not in the log`)
    // A JWT is three parts; not even its signature may appear.
    const signature = value.split('.')[2]
    if (signature !== undefined) t.notOk(text.includes(signature), `${name}'s signature is not in the log`)
  }
})

eachProvider('the application log keeps its level and redaction when no logger is given', async (t, provider) => {
  const { app } = await buildTestApp(t, provider, { env: { LOG_LEVEL: 'warn' } })
  t.equal(app.log.level, 'warn')
})

t.test('every line a request logs carries its request id', async (t) => {
  const log = capture()
  const { app } = await buildTestApp(t, 'sqlite', { logger: { level: 'trace', stream: log.stream } })
  for (let i = 0; i < 2; i++) t.equal((await app.inject({ url: '/auth/profile' })).statusCode, 401)
  const lines = log.lines()
  const ids = new Set<unknown>()
  for (const msg of ['incoming request', 'request completed']) {
    const ofKind = lines.filter(line => line.msg === msg)
    t.equal(ofKind.length, 2, `two "${msg}" lines`)
    for (const line of ofKind) {
      t.type(line.reqId, 'string', `"${msg}" names its request`)
      ids.add(line.reqId)
    }
  }
  t.equal(ids.size, 2, 'the two requests have different ids, shared by both their lines')
})

/** A bare Fastify app logging as the gateway does, to `log`'s stream at `level`. */
function appLoggingAt (level: string, log: ReturnType<typeof capture>) {
  const logging = gatewayLogging({ level, stream: log.stream }, 'info')
  const app = Fastify(logging.fastify)
  logging.attach(app)
  app.get('/', async (request) => {
    request.log.warn({ body: { password: 'route-secret-1' } }, 'from the route')
    return { ok: true }
  })
  app.get('/boom', async () => { throw new Error('boom') })
  return app
}

t.test('above info, Fastify has no logger of its own, and everything it and the routes log is still written, with request ids and redacted', async (t) => {
  const log = capture()
  const app = appLoggingAt('warn', log)
  t.teardown(() => app.close())
  t.equal((await app.inject({ url: '/' })).statusCode, 200)
  t.equal((await app.inject({ url: '/boom' })).statusCode, 500)
  app.log.warn({ token: 'app-secret-2' }, 'from the app')
  const lines = log.lines()
  t.notOk(lines.some(line => line.msg === 'incoming request' || line.msg === 'request completed'), 'no per-request lines: the level would drop them')
  const route = lines.find(line => line.msg === 'from the route')
  t.type(route?.reqId, 'string', "the route's line names its request")
  t.same(route?.body, { password: '[redacted]' })
  const failed = lines.find(line => line.msg === 'boom')
  t.equal(failed?.level, 50, "Fastify's own error line for the 500 is written")
  t.type(failed?.reqId, 'string')
  t.not(failed?.reqId, route?.reqId)
  t.same(failed?.res, { statusCode: 500 }, 'the answer as Fastify logs it')
  t.match(failed?.err, { type: 'Error', message: 'boom', stack: /boom/ })
  t.same(lines.find(line => line.msg === 'from the app')?.token, '[redacted]', 'app.log is the same redacting logger')
  t.notMatch(log.text(), /secret-\d/)
})

t.test('above info, each request\'s logger names that request, its reply\'s too', async (t) => {
  const log = capture()
  const app = appLoggingAt('warn', log)
  t.teardown(() => app.close())
  app.get('/interleaved', async (request, reply) => {
    await new Promise(resolve => setImmediate(resolve))
    request.log.warn({ at: request.id }, 'from the request')
    reply.log.warn({ at: request.id }, 'from the reply')
    return { ok: true }
  })
  // Interleaved, so a logger shared between requests would show the wrong id.
  const replies = await Promise.all([1, 2, 3].map(async () => await app.inject({ url: '/interleaved' })))
  t.same(replies.map(r => r.statusCode), [200, 200, 200])
  const lines = log.lines().filter(line => line.msg === 'from the request' || line.msg === 'from the reply')
  t.equal(lines.length, 6)
  for (const line of lines) t.equal(line.reqId, line.at, 'each line names the request that wrote it')
  t.equal(new Set(lines.map(line => line.reqId)).size, 3)
})

t.test('at info, Fastify logs every request as it comes and as it is answered', async (t) => {
  const log = capture()
  const app = appLoggingAt('info', log)
  t.teardown(() => app.close())
  t.equal((await app.inject({ url: '/' })).statusCode, 200)
  const lines = log.lines()
  const completed = lines.find(line => line.msg === 'request completed')
  t.same(completed?.res, { statusCode: 200 })
  t.type(completed?.responseTime, 'number')
  t.equal(lines.find(line => line.msg === 'incoming request')?.reqId, completed?.reqId)
  t.equal(lines.find(line => line.msg === 'from the route')?.reqId, completed?.reqId)
  t.notMatch(log.text(), /secret-\d/)
})

t.test('a request logger\'s own children keep the request id, their bindings and redaction', async (t) => {
  const log = capture()
  const app = Fastify({ logger: redactingLogger({ level: 'info', stream: log.stream }, 'info'), childLoggerFactory: deferredBindings })
  t.teardown(() => app.close())
  app.get('/', async (request) => {
    request.log.child({ step: 'inner' }).info({ body: { password: 'child-secret-1' } }, 'from a child')
    return { ok: true }
  })
  t.equal((await app.inject({ url: '/' })).statusCode, 200)
  const lines = log.lines()
  const incoming = lines.find(line => line.msg === 'incoming request')
  const inner = lines.find(line => line.msg === 'from a child')
  t.type(incoming?.reqId, 'string')
  t.equal(inner?.reqId, incoming?.reqId, 'the child names the request')
  t.equal(inner?.step, 'inner', 'the child keeps its own bindings')
  t.same(inner?.body, { password: '[redacted]' }, 'the child redacts')
})

t.test('request loggers share one child per route log level, yet each names its own request', async (t) => {
  const log = capture()
  const app = Fastify({ logger: redactingLogger({ level: 'info', stream: log.stream }, 'info'), childLoggerFactory: deferredBindings })
  t.teardown(() => app.close())
  app.get('/quiet', { logLevel: 'warn' }, async (request) => {
    request.log.info('quiet info')
    request.log.warn({ at: request.id }, 'quiet warn')
    return { ok: true }
  })
  app.get('/loud', async (request) => {
    request.log.info({ at: request.id }, 'loud info')
    return { ok: true }
  })
  // Interleaved, so a logger shared between requests would show the wrong id.
  const replies = await Promise.all([app.inject({ url: '/quiet' }), app.inject({ url: '/loud' }), app.inject({ url: '/quiet' }), app.inject({ url: '/loud' })])
  t.same(replies.map(r => r.statusCode), [200, 200, 200, 200])
  const lines = log.lines()
  t.equal(lines.filter(line => line.msg === 'quiet info').length, 0, 'the route\'s level holds')
  const mine = lines.filter(line => line.msg === 'quiet warn' || line.msg === 'loud info')
  t.equal(mine.length, 4)
  for (const line of mine) t.equal(line.reqId, line.at, 'each line names the request that wrote it')
  t.equal(new Set(mine.map(line => line.reqId)).size, 4)
  t.equal(lines.filter(line => line.msg === 'incoming request').length, 2, 'the default level still logs the other route\'s requests')
})

t.test('URLs keep the values of harmless parameters only', async (t) => {
  t.equal(redactUrl('/auth/profile'), '/auth/profile')
  t.equal(redactUrl('/audit?limit=10&type=login.failed&userId=3&before=99'), '/audit?limit=10&type=login.failed&userId=3&before=99')
  t.equal(redactUrl('/x?jwt=abc&token=d&limit=5&flag'), '/x?jwt=[redacted]&token=[redacted]&limit=5&flag')
  t.equal(redactUrl('/graphql?query=%7Bme%7D&variables=%7B%7D'), '/graphql?query=[redacted]&variables=[redacted]')
})

// Login throttling seen from every surface that checks a password: one
// counter per login name as typed (any case), whichever surface is used, 429
// with Retry-After in each surface's shape, reset by a success; and a wait on
// an email says nothing about which username is the same account.
import { countRows, openTestDatabase } from '../support/database.js'
import { buildTestApp, createUser, eachProvider, manualClock } from '../helper.js'
import { graphql, serviceAuth } from '../graphql/support/requests.js'

const GRAPHQL_LOGIN = 'mutation($u: String!, $p: String!) { login(username: $u, password: $p) { accessToken } }'
const LOGIN_USER = 'query($u: String, $p: String!) { loginUser(username: $u, password: $p) { id } }'
const SERVICE_LOGIN = 'query($u: String, $p: String) { login(username: $u, password: $p) { jwt } }'

eachProvider('after five failed logins every surface answers 429 with Retry-After, in its own shape', async (t, provider) => {
  const clock = manualClock()
  const { app, databaseUrl } = await buildTestApp(t, provider, { clock })
  await createUser(app, { email: 'maria@mail.com', username: 'maria', password: 'maria-pass-1' })
  const db = await openTestDatabase(t, databaseUrl)
  const sessionsBefore = await countRows(db, 'sessions')

  // Five failures with the email, in any case, on every surface: one login name, one counter.
  const failures = [
    await app.inject({ method: 'POST', url: '/auth/login', payload: { email: 'maria@mail.com', password: 'guess-1' } }),
    await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'MARIA@mail.com', password: 'guess-2' } }),
    await graphql(app, GRAPHQL_LOGIN, { variables: { u: 'Maria@Mail.com', p: 'guess-3' } }),
    await graphql(app, LOGIN_USER, { variables: { u: 'maria@mail.com', p: 'guess-4' } }),
    await serviceAuth(app, SERVICE_LOGIN, { variables: { u: 'maria@mail.com', p: 'guess-5' } })
  ]
  t.same(failures.map(r => r.statusCode), [401, 401, 401, 401, 200], 'five plain refusals (/service/Auth answers 200 with null fields)')

  // Even the right password waits now: the check is not made at all.
  const rest = await app.inject({ method: 'POST', url: '/auth/login', payload: { email: 'maria@mail.com', password: 'maria-pass-1' } })
  t.equal(rest.statusCode, 429)
  t.equal(rest.headers['retry-after'], '1')
  t.same(rest.json(), { statusCode: 429, error: 'Too Many Requests', message: 'Too many failed logins; try again in 1 seconds' })

  const ns = await graphql(app, GRAPHQL_LOGIN, { variables: { u: 'maria@mail.com', p: 'maria-pass-1' } })
  t.equal(ns.statusCode, 429)
  t.equal(ns.headers['retry-after'], '1')
  t.match(ns.json(), { data: null, errors: [{ message: /Too many failed logins/, path: ['login'], extensions: { code: 'RATE_LIMITED' } }] })

  const header = await graphql(app, LOGIN_USER, { variables: { u: 'maria@mail.com', p: 'maria-pass-1' } })
  t.equal(header.statusCode, 429)
  t.notOk(header.headers['x-authorization'], 'no token header')
  t.match(header.json(), { data: null, errors: [{ extensions: { code: 'RATE_LIMITED' } }] })

  const ca = await serviceAuth(app, SERVICE_LOGIN, { variables: { u: 'maria@mail.com', p: 'maria-pass-1' } })
  t.equal(ca.statusCode, 429)
  t.equal(ca.headers['retry-after'], '1')
  t.ok(ca.body.startsWith('{"ok":false,'), 'the CollectiveAccess envelope')
  t.match(ca.json(), { ok: false, errors: [{ message: /Too many failed logins/, extensions: { code: 'TOO_MANY_ATTEMPTS' } }], data: { login: null } })
  t.equal(await countRows(db, 'sessions'), sessionsBefore, 'no refused attempt opened a session')

  // The username is a counter of its own: whether "maria" is the account behind the waiting email shows nowhere.
  const byUsername = await graphql(app, GRAPHQL_LOGIN, { variables: { u: 'maria', p: 'guess-6' } })
  const byStranger = await graphql(app, GRAPHQL_LOGIN, { variables: { u: 'mario', p: 'guess-6' } })
  t.equal(byUsername.statusCode, 401, 'the username of the same account: a plain refusal')
  t.same(byUsername.json(), byStranger.json(), 'exactly as for a name no account has')

  clock.advance(1)
  const ok = await app.inject({ method: 'POST', url: '/auth/login', payload: { email: 'maria@mail.com', password: 'maria-pass-1' } })
  t.equal(ok.statusCode, 201, 'after the wait the right password gets in')

  // The success cleared the failures: five free ones again, from a client the account does not know.
  const after: number[] = []
  for (let i = 0; i < 6; i++) {
    after.push((await app.inject({ method: 'POST', url: '/auth/login', remoteAddress: '203.0.113.5', payload: { email: 'maria@mail.com', password: `again-${i}` } })).statusCode)
  }
  t.same(after, [401, 401, 401, 401, 401, 429])
})

eachProvider('names no account has are throttled exactly like real ones', async (t, provider) => {
  const { app } = await buildTestApp(t, provider, { clock: manualClock() })
  await createUser(app, { email: 'maria@mail.com', username: 'maria', password: 'maria-pass-1' })
  const statuses = async (email: string) => {
    const out: number[] = []
    for (let i = 0; i < 7; i++) out.push((await app.inject({ method: 'POST', url: '/auth/login', payload: { email, password: `guess-${i}` } })).statusCode)
    return out
  }
  const real = await statuses('maria@mail.com')
  const unknown = await statuses('nobody@mail.com')
  t.same(real, [401, 401, 401, 401, 401, 429, 429])
  t.same(unknown, real, 'no difference tells whether an account exists')
})

eachProvider('fifty simultaneous wrong logins over HTTP get no more tries than fifty sequential ones', async (t, provider) => {
  const { app } = await buildTestApp(t, provider, { clock: manualClock() })
  await createUser(app, { email: 'maria@mail.com', password: 'maria-pass-1' })
  await createUser(app, { email: 'john@mail.com', password: 'john-pass-12' })
  const attempt = (email: string, i: number) => app.inject({ method: 'POST', url: '/auth/login', payload: { email, password: `guess-${i}` } })
  const parallel = await Promise.all(Array.from({ length: 50 }, (_, i) => attempt('maria@mail.com', i)))
  const sequential = []
  for (let i = 0; i < 50; i++) sequential.push(await attempt('john@mail.com', i))
  const tally = (responses: Array<{ statusCode: number }>) => ({
    tried: responses.filter(r => r.statusCode === 401).length,
    throttled: responses.filter(r => r.statusCode === 429).length
  })
  t.same(tally(parallel), { tried: 5, throttled: 45 })
  t.same(tally(sequential), tally(parallel), 'the same as one after another')

  const right = await Promise.all(Array.from({ length: 8 }, () => app.inject({ method: 'POST', url: '/auth/login', payload: { email: 'john@mail.com', password: 'john-pass-12' } })))
  t.equal(right.filter(r => r.statusCode === 429).length, 8, 'john is still waiting')
  const { app: fresh } = await buildTestApp(t, provider, { clock: manualClock() })
  await createUser(fresh, { email: 'ana@mail.com', password: 'ana-pass-123' })
  const together = await Promise.all(Array.from({ length: 8 }, () => fresh.inject({ method: 'POST', url: '/auth/login', payload: { email: 'ana@mail.com', password: 'ana-pass-123' } })))
  t.same(together.map(r => r.statusCode), Array(8).fill(201), 'eight right passwords at once all get in')
})

// The rest of a session's life with the client, against a real gateway:
// logging in and failing to, logging out here and everywhere, header-token
// sessions (renewed in X-Authorization while in use, over when their token is
// refused) beside sessions that refresh by their own policy, calls to another
// service, GraphQL errors that are not about the token, and a session
// refreshed on the surface it started on.
import { once } from 'node:events'
import { createServer } from 'node:http'
import { ADMIN, eachProvider } from '../helper.js'
import {
  AuthgateClient, AuthgateError, GraphQLResponseError, MemoryTokenStore, RateLimitedError, SessionEndedError, type Surface
} from '../../clients/typescript/src/index.js'
import { concurrentCalls, frozenClock, gatewayClock, loggedInClient, startGateway, SURFACES, type Gateway } from './support/gateway.js'

async function rejection (promise: Promise<unknown>): Promise<unknown> {
  return promise.then(() => new Error('expected a rejection'), (err: unknown) => err)
}

/** Whether the gateway still refreshes with this refresh token, asked on the surface the session started on. */
async function refreshAccepted (gateway: Gateway, surface: Surface, refreshToken: string): Promise<boolean> {
  const post = (path: string, body: unknown) => fetch(gateway.baseUrl + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  switch (surface) {
    case 'rest':
      return (await post('/auth/refresh-token', { refreshToken })).status === 201
    case 'graphql':
      return typeof (await (await post('/graphql', { query: 'mutation($r: String!) { refreshToken(refreshToken: $r) { accessToken } }', variables: { r: refreshToken } })).json()).data?.refreshToken?.accessToken === 'string'
    case 'service-auth':
      return typeof (await (await post('/service/Auth', { query: 'query($t: String) { refresh(token: $t) { jwt } }', variables: { t: refreshToken } })).json()).data?.refresh?.jwt === 'string'
  }
}

async function profileStatus (gateway: Gateway, accessToken: string): Promise<number> {
  return (await fetch(`${gateway.baseUrl}/auth/profile`, { headers: { authorization: `Bearer ${accessToken}` } })).status
}

for (const surface of SURFACES) {
  eachProvider(`${surface}: login by email or username; a refused login is an AuthgateError and stores nothing`, async (t, provider) => {
    const gateway = await startGateway(t, provider)
    const store = new MemoryTokenStore()
    const client = new AuthgateClient({ baseUrl: gateway.baseUrl + '/', surface, store })
    t.equal(await client.isLoggedIn(), false)
    const notLoggedIn = await rejection(client.profile())
    t.type(notLoggedIn, SessionEndedError)
    t.equal((notLoggedIn as SessionEndedError).reason, 'not_logged_in')

    const wrong = await rejection(client.login({ email: ADMIN.email, password: 'not-the-password' }))
    t.type(wrong, AuthgateError)
    t.notOk(wrong instanceof SessionEndedError || wrong instanceof RateLimitedError, 'neither a session end nor a rate limit')
    t.equal((wrong as AuthgateError).message, 'Invalid credentials')
    t.equal(store.get(), null)

    await client.login({ username: 'admin', password: ADMIN.password })
    t.equal(store.get()?.surface, surface)
    t.match(await client.profile(), { id: Number, email: ADMIN.email })
    await client.login({ email: ADMIN.email, password: ADMIN.password })
    t.match(await client.profile(), { id: Number, username: 'admin' })
  })

  eachProvider(`${surface}: logout ends the session on the gateway and here, and says so once`, async (t, provider) => {
    const gateway = await startGateway(t, provider)
    const { client, store, ended } = await loggedInClient(gateway, surface)
    const session = store.get()
    if (session?.refreshToken === undefined) throw new Error('no session with a refresh token')
    const { refreshToken } = session

    await client.logout()
    t.equal(store.get(), null, 'the store is cleared')
    t.same(ended, ['logged_out'])
    t.equal(await refreshAccepted(gateway, surface, refreshToken), false, 'the gateway refuses its refresh token')
    t.equal(await profileStatus(gateway, session.accessToken), 401, 'and its access token')
    const after = await rejection(client.profile())
    t.type(after, SessionEndedError)
    t.equal((after as SessionEndedError).reason, 'logged_out')
    await client.logout()
    t.same(ended, ['logged_out'], 'logging out with no session says nothing more')
  })

  eachProvider(`${surface}: logoutAll ends every session of the user, refreshing an expired token first`, async (t, provider) => {
    const clock = gatewayClock()
    const gateway = await startGateway(t, provider, { clock })
    const { client, store, ended } = await loggedInClient(gateway, surface, { now: frozenClock() })
    const elsewhere = await fetch(`${gateway.baseUrl}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ADMIN) })
    const other = await elsewhere.json() as { refresh_token: string }
    const own = store.get()?.refreshToken as string

    clock.advance(3)
    await client.logoutAll()
    t.equal(gateway.refreshes(), 1, 'the expired token was refreshed once')
    t.equal(store.get(), null)
    t.same(ended, ['logged_out'])
    t.equal(await refreshAccepted(gateway, 'rest', other.refresh_token), false, 'the session on the other device ended')
    t.equal(await refreshAccepted(gateway, surface, own), false, 'and this one')
  })
}

/** Whether /graphql renews this token in X-Authorization, asked directly. */
async function renewedByGraphql (gateway: Gateway, accessToken: string): Promise<boolean> {
  const res = await fetch(`${gateway.baseUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${accessToken}` },
    body: JSON.stringify({ query: '{ me { id } }' })
  })
  if (res.status !== 200) throw new Error(`/graphql me answered ${res.status}`)
  return res.headers.get('x-authorization') !== null
}

/** A graphql client logged in with a header token (loginUser), as the administrator. */
async function headerTokenClient (gateway: Gateway, options: { now?: () => number } = {}) {
  const store = new MemoryTokenStore()
  const ended: Array<{ reason: string, message: string }> = []
  const client = new AuthgateClient({
    baseUrl: gateway.baseUrl,
    surface: 'graphql',
    store,
    now: options.now ?? frozenClock(),
    onSessionEnded: (reason, error) => { ended.push({ reason, message: error.message }) }
  })
  await client.login({ email: ADMIN.email, password: ADMIN.password, headerToken: true })
  return { client, store, ended }
}

eachProvider('graphql: a header-token session has no refresh token and lives on by use, renewed in X-Authorization without a refresh', async (t, provider) => {
  const clock = gatewayClock()
  const gateway = await startGateway(t, provider, { clock })
  const { client, store, ended } = await headerTokenClient(gateway)
  const session = store.get()
  if (session === null) throw new Error('no session')
  t.match(gateway.reached, [{ path: '/graphql', status: 200, refresh: false }], 'one request: loginUser')
  t.match(session, { accessToken: /^[\w-]+\.[\w-]+\.[\w-]+$/, headerToken: true, surface: 'graphql' }, 'the token from X-Authorization is stored, marked as a header token')
  t.notOk('refreshToken' in session, 'and no refresh token, for there is none')

  // Tokens live two seconds; each call comes at half the life of the token it carries, for twice that life.
  const held = [session.accessToken]
  for (let round = 1; round <= 4; round++) {
    clock.advance(1)
    t.ok(round % 2 === 1 ? (await client.profile()).id : (await client.graphql<{ me: { id: number } }>('{ me { id } }')).me.id, `call ${round}, ${round} s after login`)
    const current = store.get()
    t.notOk(held.includes(current?.accessToken as string), 'brought a renewed access token, now in the store')
    t.notOk(current !== null && 'refreshToken' in current, 'still no refresh token')
    held.push(current?.accessToken as string)
  }
  t.equal(await profileStatus(gateway, session.accessToken), 401, 'the token of the login expired long ago')
  t.equal(gateway.refreshes(), 0, 'no refresh request')
  t.equal(gateway.reached.filter(r => r.status === 401).length, 1, 'and no call met a refused token (but the check above)')
  t.same(ended, [])
})

eachProvider('graphql: a header-token session whose token is refused ends cleanly, once for every waiting call, without a refresh request', async (t, provider) => {
  const clock = gatewayClock()
  const gateway = await startGateway(t, provider, { clock })

  // Not used for longer than its token lives: nothing renewed it, and there is nothing to refresh it with.
  const idle = await headerTokenClient(gateway, { now: clock.now })
  clock.advance(3)
  const start = gateway.reached.length
  const results = await concurrentCalls(idle.client, 'graphql', 10)
  const reasons = results.map(r => r.status === 'rejected' && r.reason instanceof SessionEndedError ? r.reason.reason : String(r.status === 'rejected' ? r.reason : 'fulfilled'))
  t.same(new Set(reasons), new Set(['token_refused']), 'all 10 calls rejected with SessionEndedError token_refused')
  t.same(idle.ended, [{ reason: 'token_refused', message: 'The access token expired without being renewed and a header-token session has no refresh token; log in again' }],
    'onSessionEnded was called once, saying why')
  t.equal(idle.store.get(), null, 'the store is cleared')
  const reached = gateway.reached.slice(start)
  t.equal(reached.length, 10, 'each call was sent once')
  t.ok(reached.every(r => r.status === 401 && !r.refresh), 'refused, and no refresh request followed')
  const after = await rejection(idle.client.profile())
  t.type(after, SessionEndedError)
  t.equal((after as SessionEndedError).reason, 'token_refused', 'a later call is told the same')
  t.equal(gateway.reached.length, start + 10, 'without asking the gateway')

  // Ended elsewhere while its token was young: the gateway refuses it at the next call.
  const live = await headerTokenClient(gateway, { now: clock.now })
  t.ok((await live.client.profile()).id)
  const other = await fetch(`${gateway.baseUrl}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ADMIN) })
  const { access_token: otherToken } = await other.json() as { access_token: string }
  t.equal((await fetch(`${gateway.baseUrl}/auth/logout-all`, { method: 'POST', headers: { authorization: `Bearer ${otherToken}` } })).status, 200, 'logout-all from another device')
  const refused = await rejection(live.client.graphql('{ me { id } }'))
  t.type(refused, SessionEndedError)
  t.equal((refused as SessionEndedError).reason, 'token_refused')
  t.same(live.ended, [{ reason: 'token_refused', message: 'The gateway refused the access token and a header-token session has no refresh token; log in again' }])
  t.equal(gateway.refreshes(), 0, 'never a refresh request')

  await live.client.login({ username: 'admin', password: ADMIN.password, headerToken: true })
  t.ok((await live.client.profile()).id, 'logging in again starts a new session')
})

eachProvider('graphql: logout and logoutAll end a header-token session on the gateway; a refused header-token login stores nothing; headerToken needs the graphql surface', async (t, provider) => {
  const gateway = await startGateway(t, provider)
  const { client, store, ended } = await headerTokenClient(gateway)
  const token = store.get()?.accessToken as string
  await client.logout()
  t.equal(store.get(), null, 'the store is cleared')
  t.same(ended.map(e => e.reason), ['logged_out'])
  t.equal(await profileStatus(gateway, token), 401, 'the gateway refuses its token at once')
  t.match(gateway.reached.at(-2), { path: '/graphql', status: 200, bearer: token }, 'the session was ended with its own token')

  const second = await headerTokenClient(gateway)
  const elsewhere = await fetch(`${gateway.baseUrl}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ADMIN) })
  const { refresh_token: otherRefresh } = await elsewhere.json() as { refresh_token: string }
  const secondToken = second.store.get()?.accessToken as string
  await second.client.logoutAll()
  t.same(second.ended.map(e => e.reason), ['logged_out'])
  t.equal(await profileStatus(gateway, secondToken), 401, 'this session ended')
  t.equal(await refreshAccepted(gateway, 'rest', otherRefresh), false, 'and the one on the other device')

  const refusedStore = new MemoryTokenStore()
  const refusedLogin = await rejection(new AuthgateClient({ baseUrl: gateway.baseUrl, surface: 'graphql', store: refusedStore })
    .login({ username: 'admin', password: 'not-the-password', headerToken: true }))
  t.type(refusedLogin, AuthgateError)
  t.notOk(refusedLogin instanceof SessionEndedError, 'a refused header-token login is not a session end')
  t.equal((refusedLogin as AuthgateError).message, 'Invalid credentials')
  t.equal(refusedStore.get(), null, 'and stores nothing')

  for (const surface of ['rest', 'service-auth'] as const) {
    const other = new AuthgateClient({ baseUrl: gateway.baseUrl, surface })
    const before = gateway.reached.length
    const wrong = await rejection(other.login({ email: ADMIN.email, password: ADMIN.password, headerToken: true }))
    t.type(wrong, TypeError, `${surface}: a header-token login is refused`)
    t.match((wrong as Error).message, /loginUser.*surface "graphql"/)
    t.equal(gateway.reached.length, before, 'before anything is sent')
  }
})

for (const surface of SURFACES) {
  eachProvider(`${surface}: a session of this login is never renewed in X-Authorization; it refreshes by its own policy`, async (t, provider) => {
    const clock = gatewayClock()
    const gateway = await startGateway(t, provider, { clock })
    const { client, store, ended } = await loggedInClient(gateway, surface, { now: frozenClock() })
    const session = store.get()
    if (session === null) throw new Error('no session')

    clock.advance(1)
    t.ok((await client.graphql<{ me: { id: number } }>('{ me { id } }', undefined, { path: '/graphql' })).me.id, 'a /graphql call past half the token\'s life')
    t.same(store.get(), session, 'left the session as it was')
    t.equal(await renewedByGraphql(gateway, session.accessToken), false, 'the gateway renews no such token')

    clock.advance(1.5)
    t.ok((await client.graphql<{ me: { id: number } }>('{ me { id } }', undefined, { path: '/graphql' })).me.id, 'after the expiry, the call succeeds')
    const refreshes = gateway.reached.filter(r => r.refresh)
    t.same(refreshes.map(r => r.path), [surface === 'rest' ? '/auth/refresh-token' : surface === 'graphql' ? '/graphql' : '/service/Auth'], 'after one refresh where the session started')
    const after = store.get()
    t.not(after?.accessToken, session.accessToken)
    if (surface === 'rest') t.not(after?.refreshToken, session.refreshToken, 'rotating: a new refresh token')
    else t.equal(after?.refreshToken, session.refreshToken, 'reusable: the refresh token is kept')
    t.same(ended, [])
  })
}

eachProvider('fetch() to another service: bearer added, 401 refreshed and retried, its X-Authorization ignored', async (t, provider) => {
  const clock = gatewayClock()
  const gateway = await startGateway(t, provider, { clock })
  // A service behind forward-auth: it asks the gateway about each bearer token.
  const seen: string[] = []
  const service = createServer((req, res) => {
    seen.push(req.headers.authorization ?? '')
    fetch(`${gateway.baseUrl}/auth/verify`, { headers: { authorization: req.headers.authorization ?? '' } }).then((verdict) => {
      res.writeHead(verdict.status, { 'content-type': 'application/json', 'x-authorization': 'eyJhbGciOiJub25lIn0.eyJleHAiOjk5OTk5OTk5OTl9.' })
      res.end(JSON.stringify({ user: verdict.headers.get('x-user-id') }))
    }, () => { res.writeHead(502).end() })
  })
  service.listen(0, '127.0.0.1')
  await once(service, 'listening')
  t.teardown(() => { service.close() })
  const url = `http://127.0.0.1:${(service.address() as { port: number }).port}/reports`

  const { client, store } = await loggedInClient(gateway, 'rest', { now: frozenClock() })
  const first = await client.fetch(url)
  t.equal(first.status, 200)
  t.match(await first.json(), { user: /^\d+$/ })
  t.equal(seen[0], `Bearer ${store.get()?.accessToken}`, 'the bearer was added')

  const before = store.get()
  clock.advance(3)
  const second = await client.fetch(url, { method: 'POST', body: JSON.stringify({ from: 'today' }), headers: { 'content-type': 'application/json' } })
  t.equal(second.status, 200, 'the 401 was followed by a refresh and a retry')
  t.equal(gateway.refreshes(), 1)
  t.equal(seen.length, 3)
  t.not(store.get()?.accessToken, before?.accessToken)
  t.not(store.get()?.accessToken, 'eyJhbGciOiJub25lIn0.eyJleHAiOjk5OTk5OTk5OTl9.', 'a token in another origin\'s X-Authorization is never taken')
})

for (const surface of ['graphql', 'service-auth'] as const) {
  eachProvider(`${surface}: GraphQL errors that are not about the token are thrown as they are, without a refresh`, async (t, provider) => {
    const gateway = await startGateway(t, provider)
    const { client, ended } = await loggedInClient(gateway, surface)
    const invalid = await rejection(client.graphql('{ nope }'))
    t.type(invalid, GraphQLResponseError)
    t.equal((invalid as GraphQLResponseError).code, 'GRAPHQL_VALIDATION_FAILED')
    t.equal((invalid as GraphQLResponseError).status, 400)
    t.match((invalid as GraphQLResponseError).errors, [{ message: /nope/ }])
    t.equal(gateway.refreshes(), 0)
    t.same(ended, [])
    const variables = await client.graphql<Record<string, { id: number }>>(
      surface === 'graphql' ? 'query($x: Boolean!) { me @include(if: $x) { id } }' : 'query($x: Boolean!) { validate @include(if: $x) { id } }', { x: true })
    t.ok(Object.values(variables)[0]?.id, 'variables are sent')
  })
}

eachProvider('a session is refreshed on the surface it was started on, whatever the client\'s surface', async (t, provider) => {
  const clock = gatewayClock()
  const gateway = await startGateway(t, provider, { clock })
  const { store } = await loggedInClient(gateway, 'rest', { now: frozenClock() })
  const graphqlClient = new AuthgateClient({ baseUrl: gateway.baseUrl, surface: 'graphql', store, now: frozenClock() })
  const before = store.get()

  clock.advance(3)
  t.ok((await graphqlClient.profile()).id)
  t.match(gateway.reached.filter(r => r.refresh).map(r => r.path), ['/auth/refresh-token'], 'refreshed on REST, where it started')
  t.not(store.get()?.refreshToken, before?.refreshToken, 'with REST\'s rotation')
  t.equal(store.get()?.surface, 'rest')
})

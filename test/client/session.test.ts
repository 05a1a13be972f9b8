// The rest of a session's life with the client, against a real gateway:
// logging in and failing to, logging out here and everywhere, tokens renewed
// in X-Authorization, calls to another service, GraphQL errors that are not
// about the token, and a session refreshed on the surface it started on.
import { once } from 'node:events'
import { createServer } from 'node:http'
import { ADMIN, eachProvider } from '../helper.js'
import {
  AuthgateClient, AuthgateError, GraphQLResponseError, MemoryTokenStore, RateLimitedError, SessionEndedError, type Surface
} from '../../clients/typescript/src/index.js'
import { frozenClock, gatewayClock, loggedInClient, startGateway, SURFACES, type Gateway } from './support/gateway.js'

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
    if (session === null) throw new Error('no session')

    await client.logout()
    t.equal(store.get(), null, 'the store is cleared')
    t.same(ended, ['logged_out'])
    t.equal(await refreshAccepted(gateway, surface, session.refreshToken), false, 'the gateway refuses its refresh token')
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

for (const surface of ['graphql', 'rest'] as const) {
  eachProvider(`${surface}: a token renewed in X-Authorization by /graphql replaces the one in the store`, async (t, provider) => {
    const clock = gatewayClock()
    const gateway = await startGateway(t, provider, { clock })
    const { client, store } = await loggedInClient(gateway, surface, { now: frozenClock() })
    const session = store.get()

    clock.advance(1)
    t.ok((await client.graphql<{ me: { id: number } }>('{ me { id } }')).me.id, 'a call past half the token\'s life')
    const renewed = store.get()
    t.not(renewed?.accessToken, session?.accessToken, 'brought a renewed access token, now in the store')
    t.equal(renewed?.refreshToken, session?.refreshToken, 'the refresh token is kept')

    clock.advance(1.5)
    t.equal(await profileStatus(gateway, session?.accessToken as string), 401, 'the old token has expired')
    t.ok((await client.profile()).id, 'the renewed one still works')
    t.equal(gateway.refreshes(), 0, 'without any refresh')
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

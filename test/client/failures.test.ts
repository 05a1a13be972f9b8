// What is not the end of a session: a network failure (the gateway out of
// reach, or a refresh request that never got an answer) and a 429. The
// client keeps the session, never calls onSessionEnded, and says what
// happened with a typed error.
import { ADMIN, eachProvider } from '../helper.js'
import { tcpProxy } from '../support/tcp-proxy.js'
import { NetworkError, RateLimitedError } from '../../clients/typescript/src/index.js'
import { frozenClock, gatewayClock, loggedInClient, startGateway, SURFACES } from './support/gateway.js'

/** The global fetch, except that refresh requests fail as a dropped connection does while `down` says so. */
function refreshesFailing () {
  const state = { down: false, failed: 0 }
  const isRefresh = (url: string, body: unknown) =>
    url.endsWith('/auth/refresh-token') || (typeof body === 'string' && /\brefresh(Token)?\s*\(/.test(body))
  const fetchImpl: typeof fetch = async (input, init) => {
    if (state.down && isRefresh(String(input), init?.body)) {
      state.failed++
      throw new TypeError('fetch failed', { cause: new Error('socket hang up') })
    }
    return await fetch(input, init)
  }
  return { state, fetchImpl }
}

async function rejection (promise: Promise<unknown>): Promise<unknown> {
  return promise.then(() => new Error('expected a rejection'), (err: unknown) => err)
}

for (const surface of SURFACES) {
  eachProvider(`${surface}: a gateway out of reach is a NetworkError, never the end of the session`, async (t, provider) => {
    const clock = gatewayClock()
    const gateway = await startGateway(t, provider, { clock })
    const address = new URL(gateway.baseUrl)
    const proxy = await tcpProxy(address.hostname, Number(address.port))
    t.teardown(() => proxy.close())
    const { client, store, ended } = await loggedInClient({ ...gateway, baseUrl: `http://127.0.0.1:${proxy.port}` }, surface, { now: clock.now })
    const session = { ...store.get() }

    await proxy.cut()
    t.type(await rejection(client.profile()), NetworkError, 'a call while the gateway is out of reach')
    clock.advance(3)
    t.type(await rejection(client.profile()), NetworkError, 'a refresh of an expired token while it is out of reach')
    t.same(store.get(), session, 'the session is kept as it was')
    t.same(ended, [], 'and has not ended')
    t.equal(gateway.refreshes(), 0, 'nothing reached the gateway')

    await proxy.restore()
    t.ok((await client.profile()).id, 'once the gateway is back, the call succeeds')
    t.equal(gateway.refreshes(), 1, 'after one refresh')
    t.same(ended, [])
  })

  eachProvider(`${surface}: a refresh request that gets no answer is a NetworkError; the next call refreshes`, async (t, provider) => {
    const clock = gatewayClock()
    const gateway = await startGateway(t, provider, { clock })
    const { state, fetchImpl } = refreshesFailing()
    const { client, store, ended } = await loggedInClient(gateway, surface, { now: frozenClock(), fetch: fetchImpl })
    const session = { ...store.get() }

    clock.advance(3)
    state.down = true
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => client.profile()))
    t.ok(results.every(r => r.status === 'rejected' && r.reason instanceof NetworkError), 'every call waiting for the refresh gets the NetworkError')
    t.equal(state.failed, 1, 'from one refresh attempt')
    t.same(store.get(), session, 'the session is kept as it was')
    t.same(ended, [])

    state.down = false
    t.ok((await client.profile()).id, 'the next call refreshes and succeeds')
    t.equal(gateway.refreshes(), 1)
    t.same(ended, [])
  })

  eachProvider(`${surface}: a token about to expire is still used when refreshing it early fails`, async (t, provider) => {
    const clock = gatewayClock()
    const gateway = await startGateway(t, provider, { clock })
    const { state, fetchImpl } = refreshesFailing()
    const { client, store } = await loggedInClient(gateway, surface, { now: clock.now, fetch: fetchImpl })
    const session = { ...store.get() }

    // The client counts a two-second token valid for one second (JWT times are whole seconds)
    // and refreshes it in the last quarter of that.
    clock.advance(0.8)
    state.down = true
    t.ok((await client.profile()).id, 'the call succeeds with the token that still works')
    t.equal(state.failed, 1, 'after the early refresh failed')
    t.same(store.get(), session, 'the session is kept as it was')

    clock.advance(2.5)
    t.type(await rejection(client.profile()), NetworkError, 'once the token has expired, the failure is the answer')
    state.down = false
    t.ok((await client.profile()).id)
  })

  eachProvider(`${surface}: a 429 surfaces as RateLimitedError with Retry-After, for a call and for a refresh`, async (t, provider) => {
    const clock = gatewayClock()
    // Three requests per minute from this client: login, one call, and the call that meets the expired token.
    // REST's profile is not counted (it is answered from memory): there the login alone spends the budget.
    const gateway = await startGateway(t, provider, { clock, env: { RATE_LIMIT_MAX: surface === 'rest' ? '1' : '3' } })
    const { client, store, ended } = await loggedInClient(gateway, surface, { now: frozenClock() })
    t.ok((await client.profile()).id)
    const session = { ...store.get() }

    clock.advance(3)
    const refresh = await rejection(client.profile())
    t.type(refresh, RateLimitedError, 'the refresh was rate limited')
    t.match(gateway.reached.slice(-2).map(r => r.status), [401, 429], 'the call met the expired token, the refresh a 429')
    const { retryAfter } = refresh as RateLimitedError
    t.ok(retryAfter !== null && retryAfter > 0 && retryAfter <= 60, `with Retry-After in seconds (${retryAfter})`)
    t.same(store.get(), session, 'the session is kept')
    t.same(ended, [])

    const call = await rejection(client.profile())
    t.type(call, RateLimitedError, 'a rate-limited call')
    t.ok(((call as RateLimitedError).retryAfter ?? 0) > 0)
    if (surface === 'rest') {
      const res = await client.fetch('/auth/sessions')
      t.equal(res.status, 429, 'fetch() hands back the 429 as it came')
      t.ok(Number(res.headers.get('retry-after')) > 0)
    }
    const login = await rejection(client.login({ email: ADMIN.email, password: ADMIN.password }))
    t.type(login, RateLimitedError, 'a rate-limited login')
    t.same(store.get(), session, 'the session is still kept')
    t.same(ended, [])
  })
}

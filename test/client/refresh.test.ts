// Single-flight refresh against a real gateway on a loopback port, on each
// surface: however many calls meet an expired access token at once, exactly
// one refresh request reaches the gateway, and every call succeeds on its
// retry; a refused refresh ends the session once for all of them.
import { ADMIN, eachProvider } from '../helper.js'
import { SessionEndedError } from '../../clients/typescript/src/index.js'
import { concurrentCalls, frozenClock, gatewayClock, loggedInClient, startGateway, SURFACES } from './support/gateway.js'

const CALLS = 50

for (const surface of SURFACES) {
  eachProvider(`${surface}: ${CALLS} concurrent calls meeting an expired token make one refresh request and all succeed`, async (t, provider) => {
    const clock = gatewayClock()
    const gateway = await startGateway(t, provider, { clock })
    // The client's clock stands still, so it never refreshes ahead: the gateway's refusals are what it reacts to.
    const { client, store, ended } = await loggedInClient(gateway, surface, { now: frozenClock() })
    const before = store.get()
    if (before === null) throw new Error('no session after login')
    const admin = await client.profile()
    t.equal(admin.id, (await client.profile()).id, 'calls work before expiry')

    clock.advance(3)
    const start = gateway.reached.length
    const results = await concurrentCalls(client, surface, CALLS)

    t.same(results.filter(r => r.status === 'rejected').map(r => String((r as PromiseRejectedResult).reason)), [], 'no call failed')
    t.equal(results.filter(r => r.status === 'fulfilled').length, CALLS, `${CALLS} successes`)
    const reached = gateway.reached.slice(start)
    t.equal(reached.filter(r => r.refresh).length, 1, 'exactly one refresh request reached the gateway')
    t.equal(reached.filter(r => !r.refresh && r.status === 401).length, CALLS, 'every call met the expired token first')
    t.equal(reached.filter(r => !r.refresh && r.status === 200).length, CALLS, 'and succeeded on its one retry')
    const after = store.get()
    t.equal(reached.filter(r => r.bearer === before.accessToken).length, CALLS, 'the old token was sent once per call')
    t.ok(reached.filter(r => !r.refresh && r.status === 200).every(r => r.bearer === after?.accessToken), 'every retry carried the new token')
    t.not(after?.accessToken, before.accessToken, 'the new access token is in the store')
    if (surface === 'rest') t.not(after?.refreshToken, before.refreshToken, 'REST rotated the refresh token')
    else t.equal(after?.refreshToken, before.refreshToken, 'the GraphQL surfaces keep the refresh token')
    t.equal(after?.surface, surface)
    t.same(ended, [], 'the session did not end')
  })

  eachProvider(`${surface}: a token known to be about to expire is refreshed once, before the calls`, async (t, provider) => {
    const clock = gatewayClock()
    const gateway = await startGateway(t, provider, { clock })
    // Client and gateway share the clock: the client sees the expiry coming.
    const { client, store } = await loggedInClient(gateway, surface, { now: clock.now })
    const before = store.get()

    clock.advance(0.8)
    const start = gateway.reached.length
    const results = await concurrentCalls(client, surface, CALLS)
    t.equal(results.filter(r => r.status === 'fulfilled').length, CALLS, `${CALLS} successes`)
    const reached = gateway.reached.slice(start)
    t.equal(reached.filter(r => r.refresh).length, 1, 'one refresh request')
    t.equal(reached[0]?.refresh, true, 'the refresh went out before any call')
    t.equal(reached.filter(r => r.status === 401).length, 0, 'no call met a refused token')
    t.not(store.get()?.accessToken, before?.accessToken)

    clock.advance(0.5)
    const later = gateway.reached.length
    await concurrentCalls(client, surface, 10)
    t.equal(gateway.reached.slice(later).filter(r => r.refresh).length, 0, 'a young token is not refreshed')
  })

  eachProvider(`${surface}: a refresh refused after logout-all ends the session once for every waiting call`, async (t, provider) => {
    const clock = gatewayClock()
    const gateway = await startGateway(t, provider, { clock })
    const { client, store, ended } = await loggedInClient(gateway, surface, { now: frozenClock() })
    await client.profile()

    // The user logs out everywhere from another device.
    const other = await fetch(`${gateway.baseUrl}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ADMIN) })
    const { access_token: otherToken } = await other.json() as { access_token: string }
    const all = await fetch(`${gateway.baseUrl}/auth/logout-all`, { method: 'POST', headers: { authorization: `Bearer ${otherToken}` } })
    t.equal(all.status, 200, 'logout-all from elsewhere')
    clock.advance(3)

    const start = gateway.reached.length
    const results = await concurrentCalls(client, surface, CALLS)
    const reasons = results.map(r => r.status === 'rejected' && r.reason instanceof SessionEndedError ? r.reason.reason : String(r.status === 'rejected' ? r.reason : 'fulfilled'))
    t.same(new Set(reasons), new Set(['refresh_refused']), `all ${CALLS} calls rejected with SessionEndedError refresh_refused`)
    t.equal(gateway.reached.slice(start).filter(r => r.refresh).length, 1, 'one refresh request')
    t.equal(store.get(), null, 'the store is cleared')
    t.same(ended, ['refresh_refused'], 'onSessionEnded was called once')

    const again = await client.profile().then(() => null, (err: unknown) => err)
    t.type(again, SessionEndedError, 'a later call is refused without asking the gateway')
    t.equal((again as SessionEndedError).reason, 'refresh_refused')
    t.equal(gateway.reached.slice(start).filter(r => r.refresh).length, 1, 'no further refresh request')
    t.same(ended, ['refresh_refused'], 'and the callback is not called again')
    t.equal(await client.isLoggedIn(), false)

    await client.login({ username: 'admin', password: ADMIN.password })
    t.ok((await client.profile()).id, 'logging in again starts a new session')
  })
}

// REST rotates refresh tokens and ends a session whose retired token comes
// back. Against a real gateway with no reuse grace (REFRESH_REUSE_INTERVAL=0,
// so any second use of a retired token counts as reuse, as long as time has
// passed), rounds of concurrent calls meeting an expired token never present
// a retired token: the audit trail shows no token.reuse_detected.
//
// The gateway's clock is the real one, which keeps running (reuse is told
// from a retry by the time elapsed), plus jumps the test makes to expire
// tokens without waiting. Tokens live five seconds: a round of 50 calls on a
// busy machine takes about one, and a token issued within a second counts
// from the start of that second.
import { setTimeout as sleep } from 'node:timers/promises'
import { ADMIN, eachProvider } from '../helper.js'
import { concurrentCalls, frozenClock, jumpingClock, loggedInClient, startGateway, type Gateway } from './support/gateway.js'
import { jwtPayload } from '../graphql/support/requests.js'

const CALLS = 50

async function restLogin (gateway: Gateway) {
  const res = await fetch(`${gateway.baseUrl}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ADMIN) })
  return await res.json() as { access_token: string, refresh_token: string }
}

const refreshWith = (gateway: Gateway, refreshToken: string) =>
  fetch(`${gateway.baseUrl}/auth/refresh-token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refreshToken }) })

eachProvider('REST rotation under concurrency never presents a retired refresh token', async (t, provider) => {
  const clock = jumpingClock()
  const gateway = await startGateway(t, provider, { clock, env: { ACCESS_TOKEN_TTL: '5', REFRESH_REUSE_INTERVAL: '0' } })
  // Rounds 1 and 2: the client's clock stands still, so the gateway's 401s trigger the refreshes.
  // Round 3: the client shares the gateway's clock, so it refreshes ahead, having seen the expiry.
  let now = frozenClock()
  const { client, store, ended } = await loggedInClient(gateway, 'rest', { now: () => now() })
  const refreshTokens = new Set([store.get()?.refreshToken])

  for (const round of [1, 2, 3]) {
    clock.jump(6)
    if (round === 3) now = clock.now
    const kind = round === 3 ? 'ahead of the expiry' : 'after the 401s'
    const before = gateway.refreshes()
    const results = await concurrentCalls(client, 'rest', CALLS)
    t.equal(results.filter(r => r.status === 'fulfilled').length, CALLS, `round ${round} (${kind}): ${CALLS} successes`)
    t.equal(gateway.refreshes() - before, 1, `round ${round}: one refresh request`)
    refreshTokens.add(store.get()?.refreshToken)
  }
  t.equal(refreshTokens.size, 4, 'each round rotated the refresh token')
  t.same(await gateway.audit('token.reuse_detected'), [], 'the audit trail shows no reuse')
  t.same(ended, [])
  t.ok((await client.profile()).id, 'the session lives on')
  t.equal(gateway.refreshes(), 3, 'with no other refresh')

  // The same check sees reuse when it happens: a retired token presented again.
  const naive = await restLogin(gateway)
  t.equal((await refreshWith(gateway, naive.refresh_token)).status, 201)
  await sleep(20)
  t.equal((await refreshWith(gateway, naive.refresh_token)).status, 401, 'a retired token presented again, 20 ms later')
  const reuse = await gateway.audit('token.reuse_detected')
  t.equal(reuse.length, 1, 'is recorded as reuse')
  t.equal(reuse[0]?.sessionId, jwtPayload(naive.access_token).sid, 'of that session only')
})

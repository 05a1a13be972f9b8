// Per-account login throttling, on both stores: the delay rule, attempts
// counted before the password check so parallel guesses gain nothing, the
// known-client exemption that keeps an attacker from locking the owner out,
// and failing closed when Redis is gone.
import t, { type Test } from 'tap'
import { Redis } from 'ioredis'
import { createLoginThrottle, step, type ThrottleSettings, type ThrottleStore } from '../../src/accounts/login-throttle.js'
import { memoryThrottleStore, redisThrottleStore } from '../../src/accounts/throttle-stores.js'
import { isAuthError } from '../../src/errors.js'
import { manualClock } from '../helper.js'
import { testRedis, testRedisUrl } from '../support/redis-prefix.js'

const SETTINGS: ThrottleSettings = { freeAttempts: 5, baseDelayMs: 1000, maxDelayMs: 60_000, resetAfterMs: 3_600_000, knownClientTtlMs: 86_400_000 }

t.test('the rule: free attempts, then doubling waits up to the cap, forgotten after a quiet spell', async (t) => {
  let state = null
  const waits: number[] = []
  const now = 1_000_000
  for (let i = 1; i <= 5; i++) {
    const result = step(state, now, SETTINGS)
    if (!result.allowed) throw new Error('refused too early')
    state = result.state
    waits.push(state.blockedUntil === 0 ? 0 : state.blockedUntil - now)
  }
  t.same(waits, [0, 0, 0, 0, 1000], 'the fifth failure starts a one-second wait')
  t.same(step(state, now + 999, SETTINGS), { allowed: false, waitMs: 1 }, 'refused during the wait')
  let at = now + 1000
  const next: number[] = []
  for (let i = 0; i < 8; i++) {
    const result = step(state, at, SETTINGS)
    if (!result.allowed) throw new Error('refused after the wait')
    state = result.state
    next.push(state.blockedUntil - at)
    at = state.blockedUntil
  }
  t.same(next, [2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000, 60_000], 'each failure doubles the wait, up to the cap')
  const refused = step(state, at - 1, SETTINGS)
  t.same(refused, { allowed: false, waitMs: 1 })
  t.equal(step(state, at - 1 + SETTINGS.resetAfterMs, SETTINGS).allowed, true)
  const forgotten = step(state, state?.lastAt as number + SETTINGS.resetAfterMs, SETTINGS)
  t.match(forgotten, { allowed: true, state: { failures: 1, blockedUntil: 0 } }, 'failures are forgotten after RESET_AFTER without attempts')
})

async function stores (t: Test): Promise<Array<[string, () => ThrottleStore]>> {
  const { redis, prefix } = await testRedis(t)
  let n = 0
  return [
    ['memory', () => memoryThrottleStore()],
    // Each throttle gets a prefix of its own within the test's prefix.
    ['redis', () => redisThrottleStore(redis, `${prefix}${n++}:`)]
  ]
}

async function outcome (attempt: Promise<unknown>): Promise<'allowed' | 'throttled'> {
  try {
    await attempt
    return 'allowed'
  } catch (err) {
    if (isAuthError(err) && err.code === 'TOO_MANY_ATTEMPTS') return 'throttled'
    throw err
  }
}

const count = (outcomes: string[], what: string) => outcomes.filter(o => o === what).length

t.test('fifty simultaneous guesses get no more tries than fifty sequential ones', async (t) => {
  for (const [name, makeStore] of await stores(t)) {
    const clock = manualClock()
    const throttle = createLoginThrottle({ store: makeStore(), settings: SETTINGS, clock })
    const parallel = await Promise.all(Array.from({ length: 50 }, () => outcome(throttle.begin('user:1', '203.0.113.9'))))
    const sequential: string[] = []
    for (let i = 0; i < 50; i++) sequential.push(await outcome(throttle.begin('user:2', '203.0.113.9')))
    t.equal(count(parallel, 'allowed'), 5, `${name}: five of fifty parallel guesses are tried`)
    t.equal(count(sequential, 'allowed'), 5, `${name}: five of fifty sequential guesses are tried`)
    t.same(sequential.slice(0, 5), Array(5).fill('allowed'), `${name}: the first five, in order`)
  }
})

t.test('a refusal says how long to wait; waiting it out allows one more try', async (t) => {
  for (const [name, makeStore] of await stores(t)) {
    const clock = manualClock()
    const throttle = createLoginThrottle({ store: makeStore(), settings: SETTINGS, clock })
    for (let i = 0; i < 5; i++) await throttle.begin('name:ghost@example.com', '203.0.113.9')
    const refused = await throttle.begin('name:ghost@example.com', '203.0.113.9').then(() => null, (err: unknown) => err)
    t.match(refused, { code: 'TOO_MANY_ATTEMPTS', statusCode: 429, retryAfter: 1, message: /try again in 1 seconds/ }, name)
    clock.advance(1)
    t.equal(await outcome(throttle.begin('name:ghost@example.com', '203.0.113.9')), 'allowed', `${name}: allowed after the wait`)
    t.equal(await outcome(throttle.begin('name:ghost@example.com', '203.0.113.9')), 'throttled', `${name}: then two seconds to wait`)
    clock.advance(2)
    t.equal(await outcome(throttle.begin('name:ghost@example.com', '203.0.113.9')), 'allowed', name)
  }
})

t.test('a success clears the failures it was counted against', async (t) => {
  for (const [name, makeStore] of await stores(t)) {
    const clock = manualClock()
    const throttle = createLoginThrottle({ store: makeStore(), settings: SETTINGS, clock })
    for (let i = 0; i < 4; i++) await throttle.begin('user:7', '198.51.100.1')
    const fifth = await throttle.begin('user:7', '198.51.100.1')
    await fifth.succeeded()
    // Another client not yet known to the account is charged to the account's counter, which the success cleared.
    const after: string[] = []
    for (let i = 0; i < 6; i++) after.push(await outcome(throttle.begin('user:7', '198.51.100.2')))
    t.same(after, [...Array(5).fill('allowed'), 'throttled'], `${name}: five free failures again after the success`)
  }
})

t.test("an attacker elsewhere cannot lock the owner's known client out", async (t) => {
  for (const [name, makeStore] of await stores(t)) {
    const clock = manualClock()
    const throttle = createLoginThrottle({ store: makeStore(), settings: SETTINGS, clock })
    const owner = '192.0.2.10'
    await (await throttle.begin('user:3', owner)).succeeded()
    clock.advance(60)
    const attacker: string[] = []
    for (let i = 0; i < 20; i++) attacker.push(await outcome(throttle.begin('user:3', '203.0.113.66')))
    t.equal(count(attacker, 'allowed'), 5, `${name}: the attacker gets five tries`)
    t.equal(await outcome(throttle.begin('user:3', '203.0.113.67')), 'throttled', `${name}: every unknown client shares the account's wait`)
    t.equal(await outcome(throttle.begin('user:3', owner)), 'allowed', `${name}: the owner's known client still gets in`)
    const ownerTyping: string[] = []
    for (let i = 0; i < 10; i++) ownerTyping.push(await outcome(throttle.begin('user:3', owner)))
    t.equal(count(ownerTyping, 'allowed'), 4, `${name}: a known client is throttled on its own counter (five in all)`)
  }
})

t.test('with KNOWN_CLIENT_TTL 0 no client is ever exempt', async (t) => {
  const clock = manualClock()
  const throttle = createLoginThrottle({ store: memoryThrottleStore(), settings: { ...SETTINGS, knownClientTtlMs: 0 }, clock })
  await (await throttle.begin('user:4', '192.0.2.10')).succeeded()
  for (let i = 0; i < 5; i++) await throttle.begin('user:4', '203.0.113.66')
  t.equal(await outcome(throttle.begin('user:4', '192.0.2.10')), 'throttled')
})

t.test('the Redis store keeps digests, never the name tried, and expires what it keeps', async (t) => {
  const { redis, prefix, keys } = await testRedis(t)
  const throttle = createLoginThrottle({ store: redisThrottleStore(redis, prefix), settings: SETTINGS, clock: manualClock() })
  await throttle.begin('name:alice@example.com', '203.0.113.9')
  await (await throttle.begin('user:12', '203.0.113.9')).succeeded()
  const stored = await keys()
  t.equal(stored.length, 2, 'one counter and one known client')
  t.notOk(stored.some(k => k.includes('alice')), 'no login name in a key')
  for (const key of stored) {
    const ttl = await redis.pttl(key)
    t.ok(ttl > 0, `${key} expires`)
  }
})

t.test('throttling fails closed when Redis cannot be reached', async (t) => {
  const redis = new Redis(testRedisUrl(), { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0 })
  const throttle = createLoginThrottle({ store: redisThrottleStore(redis, 'authgate-test:unreachable:'), settings: SETTINGS, clock: manualClock() })
  const err = await throttle.begin('user:1', '203.0.113.9').then(() => null, (e: unknown) => e)
  t.match(err, { code: 'UNAVAILABLE', statusCode: 503 }, 'no guess is let through unthrottled')
  redis.disconnect()
})

// Per-account login throttling, on both stores: the delay rule, attempts
// counted before the password check so parallel guesses gain nothing, the
// known-client exemption that keeps an attacker from locking the owner out,
// and failing closed when Redis is gone.
import t, { type Test } from 'tap'
import { Redis } from 'ioredis'
import { afterFailure, createLoginThrottle, current, decide, SLOT_TTL_MS, type ThrottleSettings, type ThrottleStore } from '../../src/accounts/login-throttle.js'
import { fallingBackThrottleStore, memoryThrottleStore, redisThrottleStore } from '../../src/accounts/throttle-stores.js'
import { isAuthError } from '../../src/errors.js'
import { manualClock } from '../helper.js'
import { REDIS, testRedis } from '../support/redis-prefix.js'
import { testWith } from '../support/services.mjs'

const SETTINGS: ThrottleSettings = { freeAttempts: 5, baseDelayMs: 1000, maxDelayMs: 60_000, resetAfterMs: 3_600_000, knownClientTtlMs: 86_400_000 }

t.test('the rules: free failures, then doubling waits up to the cap, forgotten after a quiet spell', async (t) => {
  const now = 1_000_000
  let state = current(null, now, SETTINGS)
  const waits: number[] = []
  for (let i = 1; i <= 5; i++) {
    t.same(decide(state, 0, now, SETTINGS), { kind: 'allowed' }, `failure ${i} may be tried`)
    state = afterFailure(state, now, SETTINGS)
    waits.push(state.blockedUntil === 0 ? 0 : state.blockedUntil - now)
  }
  t.same(waits, [0, 0, 0, 0, 1000], 'the fifth failure starts a one-second wait')
  t.same(decide(state, 0, now + 999, SETTINGS), { kind: 'wait', waitMs: 1 }, 'refused during the wait')
  let at = now + 1000
  const next: number[] = []
  for (let i = 0; i < 8; i++) {
    t.same(decide(state, 0, at, SETTINGS), { kind: 'allowed' })
    state = afterFailure(state, at, SETTINGS)
    next.push(state.blockedUntil - at)
    at = state.blockedUntil
  }
  t.same(next, [2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000, 60_000], 'each failure doubles the wait, up to the cap')
  t.same(current(state, state.lastAt + SETTINGS.resetAfterMs - 1, SETTINGS), state, 'remembered until the quiet spell ends')
  t.same(current(state, state.lastAt + SETTINGS.resetAfterMs, SETTINGS), { failures: 0, blockedUntil: 0, lastAt: state.lastAt + SETTINGS.resetAfterMs }, 'then forgotten')
})

t.test('attempts still being checked hold slots: together they may use only the free failures left', async (t) => {
  const now = 5_000
  const fresh = current(null, now, SETTINGS)
  t.same(decide(fresh, 4, now, SETTINGS), { kind: 'allowed' })
  t.same(decide(fresh, 5, now, SETTINGS), { kind: 'busy' }, 'five in flight could be five failures')
  const three = { failures: 3, blockedUntil: 0, lastAt: now }
  t.same(decide(three, 1, now, SETTINGS), { kind: 'allowed' })
  t.same(decide(three, 2, now, SETTINGS), { kind: 'busy' })
  const past = { failures: 9, blockedUntil: now - 1, lastAt: now - 1 }
  t.same(decide(past, 0, now, SETTINGS), { kind: 'allowed' }, 'past the free ones: one at a time')
  t.same(decide(past, 1, now, SETTINGS), { kind: 'busy' })
})

/**
 * Runs `fn` as two subtests: on the in-memory store, and on the Redis store
 * (skipped with the reason without Redis, failed under REQUIRE_ALL=1).
 */
async function eachStore (t: Test, fn: (t: Test, name: string, makeStore: () => ThrottleStore) => Promise<void>): Promise<void> {
  await t.test('memory', (t) => fn(t, 'memory', () => memoryThrottleStore()))
  await testWith(t, 'redis', [REDIS], async (t) => {
    const { redis, prefix } = await testRedis(t)
    let n = 0
    // Each throttle gets a prefix of its own within the test's prefix.
    await fn(t, 'redis', () => redisThrottleStore(redis, `${prefix}${n++}:`))
  })
}

type Throttle = ReturnType<typeof createLoginThrottle>

/** One attempt that turns out wrong: 'tried' when its password was checked. */
async function guess (throttle: Throttle, subject: string, ip: string): Promise<'tried' | 'throttled'> {
  try {
    const attempt = await throttle.begin(subject, ip)
    await attempt.failed()
    return 'tried'
  } catch (err) {
    if (isAuthError(err) && err.code === 'TOO_MANY_ATTEMPTS') return 'throttled'
    throw err
  }
}

/** One attempt with the right password. */
async function logIn (throttle: Throttle, subject: string, ip: string): Promise<'in' | 'throttled'> {
  try {
    await (await throttle.begin(subject, ip)).succeeded()
    return 'in'
  } catch (err) {
    if (isAuthError(err) && err.code === 'TOO_MANY_ATTEMPTS') return 'throttled'
    throw err
  }
}

const count = (outcomes: string[], what: string) => outcomes.filter(o => o === what).length

t.test('fifty simultaneous guesses get no more tries than fifty sequential ones', async (t) => {
  await eachStore(t, async (t, name, makeStore) => {
    const throttle = createLoginThrottle({ store: makeStore(), settings: SETTINGS, clock: manualClock() })
    const parallel = await Promise.all(Array.from({ length: 50 }, () => guess(throttle, 'user:1', '203.0.113.9')))
    const sequential: string[] = []
    for (let i = 0; i < 50; i++) sequential.push(await guess(throttle, 'user:2', '203.0.113.9'))
    t.equal(count(parallel, 'tried'), 5, `${name}: five of fifty parallel guesses are tried`)
    t.equal(count(sequential, 'tried'), 5, `${name}: five of fifty sequential guesses are tried`)
    t.same(sequential.slice(0, 5), Array(5).fill('tried'), `${name}: the first five, in order`)
  })
})

t.test('right passwords sent at once all get in, as they would one after another', async (t) => {
  await eachStore(t, async (t, name, makeStore) => {
    const throttle = createLoginThrottle({ store: makeStore(), settings: SETTINGS, clock: manualClock() })
    const six = await Promise.all(Array.from({ length: 6 }, () => logIn(throttle, 'user:5', '203.0.113.9')))
    t.same(six, Array(6).fill('in'), `${name}: six at once`)
    for (let i = 0; i < 4; i++) await guess(throttle, 'user:6', '203.0.113.9')
    const afterFour = await Promise.all(Array.from({ length: 6 }, () => logIn(throttle, 'user:6', '203.0.113.9')))
    t.same(afterFour, Array(6).fill('in'), `${name}: even after four failures (they wait their turn)`)
  })
})

t.test('a refusal says how long to wait; waiting it out allows one more try', async (t) => {
  await eachStore(t, async (t, name, makeStore) => {
    const clock = manualClock()
    const throttle = createLoginThrottle({ store: makeStore(), settings: SETTINGS, clock })
    for (let i = 0; i < 5; i++) await guess(throttle, 'name:ghost@example.com', '203.0.113.9')
    const refused = await throttle.begin('name:ghost@example.com', '203.0.113.9').then(() => null, (err: unknown) => err)
    t.match(refused, { code: 'TOO_MANY_ATTEMPTS', statusCode: 429, retryAfter: 1, message: /try again in 1 seconds/ }, name)
    clock.advance(1)
    t.equal(await guess(throttle, 'name:ghost@example.com', '203.0.113.9'), 'tried', `${name}: tried after the wait`)
    t.equal(await guess(throttle, 'name:ghost@example.com', '203.0.113.9'), 'throttled', `${name}: then two seconds to wait`)
    clock.advance(2)
    t.equal(await guess(throttle, 'name:ghost@example.com', '203.0.113.9'), 'tried', name)
  })
})

t.test('a success clears the failures it was counted against; an abandoned check counts nothing', async (t) => {
  await eachStore(t, async (t, name, makeStore) => {
    const throttle = createLoginThrottle({ store: makeStore(), settings: SETTINGS, clock: manualClock() })
    for (let i = 0; i < 4; i++) await guess(throttle, 'user:7', '198.51.100.1')
    t.equal(await logIn(throttle, 'user:7', '198.51.100.1'), 'in')
    // Another client not yet known to the account is charged to the account's counter, which the success cleared.
    const after: string[] = []
    for (let i = 0; i < 6; i++) after.push(await guess(throttle, 'user:7', '198.51.100.2'))
    t.same(after, [...Array(5).fill('tried'), 'throttled'], `${name}: five free failures again after the success`)

    for (let i = 0; i < 10; i++) await (await throttle.begin('user:9', '198.51.100.1')).abandoned()
    const fresh: string[] = []
    for (let i = 0; i < 6; i++) fresh.push(await guess(throttle, 'user:9', '198.51.100.1'))
    t.same(fresh, [...Array(5).fill('tried'), 'throttled'], `${name}: ten abandoned checks cost nothing`)
  })
})

t.test('the slot of an attempt that never finished frees itself', async (t) => {
  await eachStore(t, async (t, name, makeStore) => {
    const store = makeStore()
    const keys = { account: 'account:x', pair: 'pair:x:ip', known: 'known:x:ip' }
    const now = 1_000_000
    for (let i = 0; i < 5; i++) t.match(await store.reserve(keys, `slot-${i}`, now, SETTINGS), { kind: 'allowed' })
    t.same(await store.reserve(keys, 'slot-5', now, SETTINGS), { kind: 'busy' }, `${name}: five slots held`)
    t.match(await store.reserve(keys, 'slot-5', now + SLOT_TTL_MS, SETTINGS), { kind: 'allowed' }, `${name}: free once they expire`)
  })
})

t.test("an attacker elsewhere cannot lock the owner's known client out", async (t) => {
  await eachStore(t, async (t, name, makeStore) => {
    const clock = manualClock()
    const throttle = createLoginThrottle({ store: makeStore(), settings: SETTINGS, clock })
    const owner = '192.0.2.10'
    t.equal(await logIn(throttle, 'user:3', owner), 'in')
    clock.advance(60)
    const attacker: string[] = []
    for (let i = 0; i < 20; i++) attacker.push(await guess(throttle, 'user:3', '203.0.113.66'))
    t.equal(count(attacker, 'tried'), 5, `${name}: the attacker gets five tries`)
    t.equal(await guess(throttle, 'user:3', '203.0.113.67'), 'throttled', `${name}: every unknown client shares the account's wait`)
    t.equal(await logIn(throttle, 'user:3', owner), 'in', `${name}: the owner's known client still gets in`)
    const ownerTyping: string[] = []
    for (let i = 0; i < 10; i++) ownerTyping.push(await guess(throttle, 'user:3', owner))
    t.equal(count(ownerTyping, 'tried'), 5, `${name}: a known client is throttled on its own counter`)
  })
})

t.test('with KNOWN_CLIENT_TTL 0 no client is ever exempt', async (t) => {
  const throttle = createLoginThrottle({ store: memoryThrottleStore(), settings: { ...SETTINGS, knownClientTtlMs: 0 }, clock: manualClock() })
  t.equal(await logIn(throttle, 'user:4', '192.0.2.10'), 'in')
  for (let i = 0; i < 5; i++) await guess(throttle, 'user:4', '203.0.113.66')
  t.equal(await logIn(throttle, 'user:4', '192.0.2.10'), 'throttled')
})

void testWith(t, 'the Redis store keeps digests, never the name tried, and expires what it keeps', [REDIS], async (t) => {
  const { redis, prefix, keys } = await testRedis(t)
  const throttle = createLoginThrottle({ store: redisThrottleStore(redis, prefix), settings: SETTINGS, clock: manualClock() })
  await guess(throttle, 'name:alice@example.com', '203.0.113.9')
  await logIn(throttle, 'user:12', '203.0.113.9')
  const stored = await keys()
  t.equal(stored.length, 3, 'two counters and one known client (released slots leave nothing)')
  t.notOk(stored.some(k => k.includes('alice')), 'no login name in a key')
  for (const key of stored) {
    const ttl = await redis.pttl(key)
    t.ok(ttl > 0, `${key} expires`)
  }
})

t.test('throttling fails closed when Redis cannot be reached', async (t) => {
  // Nothing listens on port 1: no Redis server is needed to show this.
  const redis = new Redis('redis://127.0.0.1:1', { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0 })
  const throttle = createLoginThrottle({ store: redisThrottleStore(redis, 'authgate-test:unreachable:'), settings: SETTINGS, clock: manualClock() })
  const err = await throttle.begin('user:1', '203.0.113.9').then(() => null, (e: unknown) => e)
  t.match(err, { code: 'UNAVAILABLE', statusCode: 503 }, 'no guess is let through unthrottled')
  redis.disconnect()
})

t.test("the app's store falls back to memory when Redis cannot be reached: throttled, not refused", async (t) => {
  const redis = new Redis('redis://127.0.0.1:1', { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0 })
  t.teardown(() => redis.disconnect())
  let failed = 0
  const store = fallingBackThrottleStore(redisThrottleStore(redis, 'authgate-test:unreachable:'), memoryThrottleStore(), { failed: () => { failed++ }, recovered: () => {} })
  const throttle = createLoginThrottle({ store, settings: SETTINGS, clock: manualClock() })
  const attempts: string[] = []
  for (let i = 0; i < 8; i++) attempts.push(await guess(throttle, 'user:1', '203.0.113.9'))
  t.equal(count(attempts, 'tried'), 5, 'five guesses, then waits, as with one instance')
  t.equal(await logIn(throttle, 'user:2', '203.0.113.9'), 'in', 'another name logs in')
  t.ok(failed >= 9, 'every failed Redis command is reported')
})

t.test('the memory store never drops a counter that is making its login wait, however many names are invented', async (t) => {
  const clock = manualClock()
  const throttle = createLoginThrottle({ store: memoryThrottleStore(100), settings: SETTINGS, clock })
  for (let i = 0; i < 5; i++) t.equal(await guess(throttle, 'login:victim@example.com', '198.51.100.1'), 'tried')
  t.equal(await guess(throttle, 'login:victim@example.com', '198.51.100.1'), 'throttled', 'the victim\'s login waits')
  // Far more invented names than the store holds: the oldest counters go, the waiting one stays.
  for (let i = 0; i < 1000; i++) await guess(throttle, `login:invented-${i}@example.com`, '198.51.100.1')
  t.equal(await guess(throttle, 'login:victim@example.com', '198.51.100.1'), 'throttled', 'still waiting after the flood')
})

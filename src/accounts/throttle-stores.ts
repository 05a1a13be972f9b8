// Where login-throttle counters live: this process's memory (one instance),
// or Redis, where Lua scripts make "pick the counter, decide, take a slot"
// and "give the slot back, count the outcome" single atomic steps for every
// instance at once. While Redis is unreachable, logins are throttled in this
// instance's memory instead (fallingBackThrottleStore), starting from what
// this instance last saw of each counter in Redis.
import type { Redis } from '../storage/redis.js'
import {
  afterFailure, current, decide, SLOT_TTL_MS,
  type CounterState, type Outcome, type Reservation, type ThrottleKeys, type ThrottleSettings, type ThrottleStore
} from './login-throttle.js'

/**
 * Counters kept in memory before the oldest are dropped, so a flood of
 * invented names cannot exhaust memory. A counter that is making its login
 * wait is never dropped: invented names must not buy a blocked login a fresh
 * start. (Each such counter took several failed password checks, each
 * spending the client's per-IP budget, so they cannot pile up cheaply; they
 * go once their wait is over.)
 */
const MEMORY_CAPACITY = 100_000

interface MemoryCounter extends CounterState {
  /** Slot id → when it frees itself. */
  slots: Map<string, number>
}

export interface MemoryThrottleStore extends ThrottleStore {
  /** Takes `state` as the counter's own (a shared store's view of it), keeping the slots held here. */
  adopt (counter: string, state: CounterState, now: number): void
}

export function memoryThrottleStore (capacity = MEMORY_CAPACITY): MemoryThrottleStore {
  const counters = new Map<string, MemoryCounter>()
  const known = new Map<string, number>()

  // Maps iterate in insertion order: re-inserting marks a key recent, and the first keys are the oldest.
  function keep<V> (map: Map<string, V>, key: string, value: V, evictable: (value: V) => boolean): void {
    map.delete(key)
    map.set(key, value)
    if (map.size <= capacity) return
    for (const [oldest, stored] of map) {
      if (oldest === key || !evictable(stored)) continue
      map.delete(oldest)
      if (map.size <= capacity) return
    }
  }

  const evictable = (now: number) => (c: MemoryCounter) => c.blockedUntil <= now && c.slots.size === 0

  return {
    async reserve (keys: ThrottleKeys, slot: string, now: number, settings: ThrottleSettings): Promise<Reservation> {
      const knownUntil = known.get(keys.known)
      const counter = knownUntil !== undefined && knownUntil > now ? keys.pair : keys.account
      const stored = counters.get(counter)
      const slots = stored?.slots ?? new Map<string, number>()
      for (const [id, expiresAt] of slots) if (expiresAt <= now) slots.delete(id)
      const state = current(stored ?? null, now, settings)
      const decision = decide(state, slots.size, now, settings)
      if (decision.kind !== 'allowed') return decision
      slots.set(slot, now + SLOT_TTL_MS)
      keep(counters, counter, { ...state, lastAt: now, slots }, evictable(now))
      return { kind: 'allowed', counter }
    },

    async release (counter, slot, outcome, knownKey, now, settings): Promise<CounterState | undefined> {
      const stored = counters.get(counter)
      stored?.slots.delete(slot)
      if (outcome === 'failed') {
        keep(counters, counter, { ...afterFailure(current(stored ?? null, now, settings), now, settings), slots: stored?.slots ?? new Map() }, evictable(now))
      } else if (outcome === 'succeeded') {
        if (stored !== undefined) Object.assign(stored, { failures: 0, blockedUntil: 0, lastAt: now })
        if (settings.knownClientTtlMs > 0) keep(known, knownKey, now + settings.knownClientTtlMs, () => true)
      }
      return undefined
    },

    adopt (counter, state, now) {
      const { failures, blockedUntil, lastAt } = state
      keep(counters, counter, { failures, blockedUntil, lastAt, slots: counters.get(counter)?.slots ?? new Map() }, evictable(now))
    }
  }
}

// The rule of current() in login-throttle.ts: a counter's state, forgotten
// after resetAfter ms without an attempt. Needs `counter`, `now`, `resetAfter`.
const CURRENT = `
local state = redis.call('HMGET', counter, 'failures', 'blockedUntil', 'lastAt')
local failures = tonumber(state[1]) or 0
local blockedUntil = tonumber(state[2]) or 0
local lastAt = tonumber(state[3])
if lastAt == nil or now - lastAt >= resetAfter then
  failures = 0
  blockedUntil = 0
end
`

// The rules of current() and decide() in login-throttle.ts; keep them alike.
// KEYS: account, pair, known. ARGV: slot, now, freeAttempts, resetAfterMs, maxDelayMs, slotTtlMs.
// Answers {1, counter, failures, blockedUntil, lastAt}, {0, counter, failures, blockedUntil, lastAt} (wait) or {2} (busy).
const RESERVE = `
local counter = KEYS[1]
if redis.call('EXISTS', KEYS[3]) == 1 then counter = KEYS[2] end
local slots = counter .. ':slots'
local slot = ARGV[1]
local now = tonumber(ARGV[2])
local free = tonumber(ARGV[3])
local resetAfter = tonumber(ARGV[4])
local maxDelay = tonumber(ARGV[5])
local slotTtl = tonumber(ARGV[6])
${CURRENT}
if now < blockedUntil then return {0, counter, failures, blockedUntil, lastAt} end
redis.call('ZREMRANGEBYSCORE', slots, '-inf', now)
if redis.call('ZCARD', slots) >= math.max(free - failures, 1) then return {2} end
redis.call('ZADD', slots, now + slotTtl, slot)
redis.call('PEXPIRE', slots, slotTtl)
redis.call('HSET', counter, 'failures', failures, 'blockedUntil', blockedUntil, 'lastAt', now)
redis.call('PEXPIRE', counter, resetAfter + maxDelay)
return {1, counter, failures, blockedUntil, now}
`

// The rule of afterFailure() in login-throttle.ts for 'failed'.
// KEYS: counter, known. ARGV: slot, outcome, now, freeAttempts, baseDelayMs, maxDelayMs, resetAfterMs, knownClientTtlMs.
// Answers the counter's fields: failures, blockedUntil, lastAt (nil when it holds none).
const RELEASE = `
local counter = KEYS[1]
redis.call('ZREM', counter .. ':slots', ARGV[1])
local outcome = ARGV[2]
local now = tonumber(ARGV[3])
local free = tonumber(ARGV[4])
local base = tonumber(ARGV[5])
local maxDelay = tonumber(ARGV[6])
local resetAfter = tonumber(ARGV[7])
local knownTtl = tonumber(ARGV[8])
if outcome == 'failed' then
${CURRENT}
  failures = failures + 1
  if failures >= free then
    blockedUntil = math.max(blockedUntil, now + math.min(base * 2 ^ (failures - free), maxDelay))
  end
  redis.call('HSET', counter, 'failures', failures, 'blockedUntil', math.floor(blockedUntil), 'lastAt', now)
  redis.call('PEXPIRE', counter, resetAfter + maxDelay)
elseif outcome == 'succeeded' then
  redis.call('HSET', counter, 'failures', 0, 'blockedUntil', 0, 'lastAt', now)
  if knownTtl > 0 then redis.call('SET', KEYS[2], '1', 'PX', knownTtl) end
end
return redis.call('HMGET', counter, 'failures', 'blockedUntil', 'lastAt')
`

type Fields = Array<string | number | null>

interface ThrottleCommands {
  authgateThrottleReserve (account: string, pair: string, known: string, slot: string, ...args: number[]): Promise<[number, string?, ...Fields]>
  authgateThrottleRelease (counter: string, known: string, slot: string, outcome: string, ...args: number[]): Promise<Fields>
}

/** A counter's fields as the scripts answer them; undefined when it holds none. */
function stateOf ([failures, blockedUntil, lastAt]: Fields): CounterState | undefined {
  if (lastAt === null || lastAt === undefined) return undefined
  return { failures: Number(failures ?? 0), blockedUntil: Number(blockedUntil ?? 0), lastAt: Number(lastAt) }
}

export function redisThrottleStore (redis: Redis, prefix: string): ThrottleStore {
  if (!('authgateThrottleReserve' in redis)) {
    redis.defineCommand('authgateThrottleReserve', { numberOfKeys: 3, lua: RESERVE })
    redis.defineCommand('authgateThrottleRelease', { numberOfKeys: 2, lua: RELEASE })
  }
  const client = redis as Redis & ThrottleCommands
  const key = (name: string) => prefix + name

  return {
    async reserve (keys, slot, now, settings): Promise<Reservation> {
      const [kind, counter, ...fields] = await client.authgateThrottleReserve(key(keys.account), key(keys.pair), key(keys.known), slot,
        now, settings.freeAttempts, settings.resetAfterMs, settings.maxDelayMs, SLOT_TTL_MS)
      if (kind === 2 || counter === undefined) return { kind: 'busy' }
      // Counters are named as in memory (keys.account, keys.pair); the prefix is this store's affair.
      const name = counter.slice(prefix.length)
      const state = stateOf(fields)
      if (kind === 1) return { kind: 'allowed', counter: name, ...(state !== undefined ? { state } : {}) }
      return { kind: 'wait', waitMs: Number(fields[1]) - now, counter: name, ...(state !== undefined ? { state } : {}) }
    },

    async release (counter, slot, outcome, knownKey, now, settings): Promise<CounterState | undefined> {
      return stateOf(await client.authgateThrottleRelease(key(counter), key(knownKey), slot, outcome,
        now, settings.freeAttempts, settings.baseDelayMs, settings.maxDelayMs, settings.resetAfterMs, settings.knownClientTtlMs))
    }
  }
}

/** Told when the shared store fails and when it answers again (the app's outage log for Redis). */
export interface SharedStoreWatch {
  failed (err: unknown): void
  recovered (): void
}

/**
 * Redis while it answers; this instance's memory while it does not, so a
 * Redis outage degrades logins instead of refusing them all. Memory keeps
 * every counter as this instance last saw it in Redis (every reservation and
 * release tells the state), so an account waiting before the outage keeps
 * waiting here, with its failures so far; failures during the outage count
 * here only. Once Redis answers, counting is shared again (what was counted
 * only here is not copied back). A slot is released where it was taken.
 */
export function fallingBackThrottleStore (shared: ThrottleStore, local: MemoryThrottleStore, watch: SharedStoreWatch): ThrottleStore {
  /** Slots taken in memory while Redis failed. */
  const localSlots = new Set<string>()

  return {
    async reserve (keys, slot, now, settings): Promise<Reservation> {
      try {
        const reservation = await shared.reserve(keys, slot, now, settings)
        watch.recovered()
        if (reservation.kind !== 'busy' && reservation.counter !== undefined && reservation.state !== undefined) {
          local.adopt(reservation.counter, reservation.state, now)
        }
        return reservation
      } catch (err) {
        watch.failed(err)
      }
      const reservation = await local.reserve(keys, slot, now, settings)
      if (reservation.kind === 'allowed') localSlots.add(slot)
      return reservation
    },

    async release (counter, slot, outcome: Outcome, knownKey, now, settings): Promise<CounterState | undefined> {
      if (localSlots.delete(slot)) return await local.release(counter, slot, outcome, knownKey, now, settings)
      try {
        const state = await shared.release(counter, slot, outcome, knownKey, now, settings)
        watch.recovered()
        // A success also makes the client known here; any other outcome leaves the counter as Redis has it.
        if (outcome === 'succeeded') await local.release(counter, slot, outcome, knownKey, now, settings)
        else if (state !== undefined) local.adopt(counter, state, now)
        return state
      } catch (err) {
        // Redis went away while the password was checked: the outcome still counts, here.
        watch.failed(err)
        return await local.release(counter, slot, outcome, knownKey, now, settings)
      }
    }
  }
}

// Where login-throttle counters live: this process's memory (one instance),
// or Redis, where one Lua script makes pick-check-count a single atomic step
// for every instance at once.
import type { Redis } from '../storage/redis.js'
import { step, type CounterState, type Reservation, type ThrottleKeys, type ThrottleSettings, type ThrottleStore } from './login-throttle.js'

/** Counters kept in memory before the oldest are dropped, so a flood of invented names cannot exhaust it. */
const MEMORY_CAPACITY = 100_000

export function memoryThrottleStore (capacity = MEMORY_CAPACITY): ThrottleStore {
  const counters = new Map<string, CounterState & { expiresAt: number }>()
  const known = new Map<string, number>()

  function bound<V> (map: Map<string, V>): void {
    // Maps iterate in insertion order: the first keys are the oldest.
    for (const key of map.keys()) {
      if (map.size <= capacity) return
      map.delete(key)
    }
  }

  return {
    async reserve (keys: ThrottleKeys, now: number, settings: ThrottleSettings): Promise<Reservation> {
      const knownUntil = known.get(keys.known)
      const counter = knownUntil !== undefined && knownUntil > now ? keys.pair : keys.account
      const current = counters.get(counter)
      const result = step(current !== undefined && current.expiresAt > now ? current : null, now, settings)
      if (!result.allowed) return result
      counters.delete(counter)
      counters.set(counter, { ...result.state, expiresAt: now + settings.resetAfterMs + settings.maxDelayMs })
      bound(counters)
      return { allowed: true, counter }
    },

    async succeed (counter: string, knownKey: string, knownClientTtlMs: number, now: number): Promise<void> {
      counters.delete(counter)
      if (knownClientTtlMs <= 0) return
      known.delete(knownKey)
      known.set(knownKey, now + knownClientTtlMs)
      bound(known)
    }
  }
}

// The same rule as step() in login-throttle.ts. KEYS: account, pair, known.
// ARGV: now, freeAttempts, baseDelayMs, maxDelayMs, resetAfterMs.
const RESERVE = `
local counter = KEYS[1]
if redis.call('EXISTS', KEYS[3]) == 1 then counter = KEYS[2] end
local now = tonumber(ARGV[1])
local free = tonumber(ARGV[2])
local base = tonumber(ARGV[3])
local maxDelay = tonumber(ARGV[4])
local resetAfter = tonumber(ARGV[5])
local state = redis.call('HMGET', counter, 'failures', 'blockedUntil', 'lastAt')
local failures = tonumber(state[1]) or 0
local blockedUntil = tonumber(state[2]) or 0
local lastAt = tonumber(state[3])
if lastAt ~= nil and now - lastAt >= resetAfter then
  failures = 0
  blockedUntil = 0
end
if now < blockedUntil then return {0, blockedUntil - now} end
failures = failures + 1
if failures >= free then
  blockedUntil = now + math.min(base * 2 ^ (failures - free), maxDelay)
end
redis.call('HSET', counter, 'failures', failures, 'blockedUntil', math.floor(blockedUntil), 'lastAt', now)
redis.call('PEXPIRE', counter, resetAfter + maxDelay)
return {1, counter}
`

interface ReserveCommand {
  authgateLoginReserve (account: string, pair: string, known: string, ...args: number[]): Promise<[number, number | string]>
}

export function redisThrottleStore (redis: Redis, prefix: string): ThrottleStore {
  if (!('authgateLoginReserve' in redis)) redis.defineCommand('authgateLoginReserve', { numberOfKeys: 3, lua: RESERVE })
  const client = redis as Redis & ReserveCommand
  const key = (name: string) => prefix + name

  return {
    async reserve (keys: ThrottleKeys, now: number, settings: ThrottleSettings): Promise<Reservation> {
      const [allowed, value] = await client.authgateLoginReserve(key(keys.account), key(keys.pair), key(keys.known),
        now, settings.freeAttempts, settings.baseDelayMs, settings.maxDelayMs, settings.resetAfterMs)
      return allowed === 1 ? { allowed: true, counter: String(value) } : { allowed: false, waitMs: Number(value) }
    },

    async succeed (counter: string, knownKey: string, knownClientTtlMs: number): Promise<void> {
      const batch = redis.multi().del(counter)
      if (knownClientTtlMs > 0) batch.set(key(knownKey), '1', 'PX', knownClientTtlMs)
      await batch.exec()
    }
  }
}

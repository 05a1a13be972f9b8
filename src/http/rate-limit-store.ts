// The per-IP rate limits' counters: in Redis, shared by every instance, and
// in this instance's memory while Redis does not answer. @fastify/rate-limit's
// own `skipOnError` would let every request through for the whole outage,
// password checks included, and silently; here the limits stay, per instance,
// and the outage log hears of each command that failed.
import { createRequire } from 'node:module'
import type { FastifyRateLimitOptions, FastifyRateLimitStore, FastifyRateLimitStoreCtor } from '@fastify/rate-limit'
import type { Redis } from '../storage/redis.js'

/** Told of each command Redis failed, and when one succeeds again (the outage log for Redis). */
export interface SharedStoreWatch {
  failed (err: unknown): void
  recovered (): void
}

type Callback = (error: Error | null, result?: { current: number, ttl: number }) => void
type Child = Parameters<FastifyRateLimitStore['child']>[0]

interface Store {
  incr (key: string, callback: Callback, timeWindow: number, max: number): void
  read (key: string, callback: Callback, timeWindow: number, max: number): void
  child (routeOptions: Child): Store
}

type Options = FastifyRateLimitOptions & { continueExceeding: boolean, exponentialBackoff: boolean }

// The plugin's own two stores (it exports neither): the same Lua script and the same in-memory LRU as without this wrapper.
const require = createRequire(import.meta.url)
const RedisStore = require('@fastify/rate-limit/store/RedisStore.js') as new (continueExceeding: boolean, exponentialBackoff: boolean, redis: Redis, nameSpace: string) => Store
const LocalStore = require('@fastify/rate-limit/store/LocalStore.js') as new (continueExceeding: boolean, exponentialBackoff: boolean, cache?: number) => Store

function fallingBack (shared: Store, local: Store, watch: SharedStoreWatch): Store {
  const either = (method: 'incr' | 'read') => (key: string, callback: Callback, timeWindow: number, max: number) => {
    shared[method](key, (err, result) => {
      if (err === null) {
        watch.recovered()
        callback(null, result)
        return
      }
      watch.failed(err)
      local[method](key, callback, timeWindow, max)
    }, timeWindow, max)
  }
  return {
    incr: either('incr'),
    read: either('read'),
    child: (routeOptions) => fallingBack(shared.child(routeOptions), local.child(routeOptions), watch)
  }
}

/** The `store` option of @fastify/rate-limit: Redis under `nameSpace`, this instance's memory while Redis fails. */
export function fallingBackRateLimitStore (redis: Redis, nameSpace: string, watch: SharedStoreWatch): FastifyRateLimitStoreCtor {
  // The plugin calls `new Store(options)`; a constructor that returns an object gives that object.
  return function Store (options: Options) {
    return fallingBack(
      new RedisStore(options.continueExceeding, options.exponentialBackoff, redis, nameSpace),
      new LocalStore(options.continueExceeding, options.exponentialBackoff),
      watch)
  } as unknown as FastifyRateLimitStoreCtor
}

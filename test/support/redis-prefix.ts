// A Redis key prefix of its own for one test, on the machine's real Redis
// (see redis.ts), and its keys removed at teardown, so test files running in
// parallel never see each other's counters.
import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import type { Test } from 'tap'
import { redisServer } from './redis.js'

export { REDIS } from './redis.js'

export interface TestRedis {
  /** Settings that point a gateway at this Redis and prefix. */
  env: { REDIS_URL: string, REDIS_KEY_PREFIX: string }
  prefix: string
  /** A client of its own, for looking at what the gateway stored. */
  redis: Redis
  keys (): Promise<string[]>
}

export async function testRedis (t: Test): Promise<TestRedis> {
  const url = redisServer().toString()
  const prefix = `authgate-test:${randomUUID()}:`
  const redis = new Redis(url)
  const keys = async () => {
    const found: string[] = []
    let cursor = '0'
    do {
      const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000)
      found.push(...batch)
      cursor = next
    } while (cursor !== '0')
    return found
  }
  t.teardown(async () => {
    const left = await keys()
    if (left.length > 0) await redis.del(...left)
    await redis.quit()
  })
  return { env: { REDIS_URL: url, REDIS_KEY_PREFIX: prefix }, prefix, redis, keys }
}

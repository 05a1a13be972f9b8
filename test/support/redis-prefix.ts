// A Redis key prefix of its own for one test, on the machine's real Redis
// (TEST_REDIS_URL, which CI always sets), and its keys removed at teardown,
// so test files running in parallel never see each other's counters.
import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import type { Test } from 'tap'

export interface TestRedis {
  /** Settings that point a gateway at this Redis and prefix. */
  env: { REDIS_URL: string, REDIS_KEY_PREFIX: string }
  prefix: string
  /** A client of its own, for looking at what the gateway stored. */
  redis: Redis
  keys (): Promise<string[]>
}

export function testRedisUrl (): string {
  const url = process.env.TEST_REDIS_URL
  if (url === undefined || url === '') {
    throw new Error('TEST_REDIS_URL is not set: these tests need a Redis server, e.g. TEST_REDIS_URL=redis://127.0.0.1:6379 (`.ci/run` starts one)')
  }
  return url
}

export async function testRedis (t: Test): Promise<TestRedis> {
  const url = testRedisUrl()
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

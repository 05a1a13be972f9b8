// The Redis server tests use: TEST_REDIS_URL, else the usual local one when it
// answers (see services.mjs). Suites that need it declare REDIS among their
// needs, so they are skipped with the reason, or fail in CI, without one.
import { redis } from './services.mjs'

export const REDIS = await redis()

/** The server's URL; only for suites that declared REDIS as a need. */
export function redisServer (): URL {
  if (!REDIS.ok) throw new Error(`a suite that did not declare its need of Redis asked for it: ${REDIS.reason}`)
  const parsed = new URL(REDIS.value)
  if (parsed.port === '') parsed.port = '6379'
  return parsed
}

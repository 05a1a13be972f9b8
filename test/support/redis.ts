// The Redis server tests use: TEST_REDIS_URL, required, since the shared
// rate limits and readiness checks cannot be shown without one.
export function redisServer (): URL {
  const url = process.env.TEST_REDIS_URL
  if (url === undefined || url === '') {
    throw new Error('TEST_REDIS_URL is not set: these tests need a Redis server, e.g. TEST_REDIS_URL=redis://127.0.0.1:6379 (`.ci/run` starts one)')
  }
  const parsed = new URL(url)
  if (parsed.port === '') parsed.port = '6379'
  return parsed
}

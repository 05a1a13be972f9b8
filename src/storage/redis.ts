// The Redis connection that rate limits and login throttling share across
// instances. Commands fail at once while Redis is unreachable (no offline
// queue), so each caller decides whether to fail open or closed instead of
// requests piling up behind a reconnect.
import type { Redis } from 'ioredis'

export type { Redis }

/** Told when the connection is lost (at every failed reconnection attempt) and when it is ready again. */
export interface ConnectionWatch {
  lost (err: unknown): void
  recovered (): void
}

/** Connects, or throws when Redis cannot be reached: a configured REDIS_URL that does not answer stops the start. */
export async function connectRedis (url: string, watch: ConnectionWatch): Promise<Redis> {
  // Loaded here, not at the top: a single instance without REDIS_URL never needs the client.
  const { Redis } = await import('ioredis')
  const redis = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    // Reconnect quickly at first, then every 2 s, for as long as the process runs.
    retryStrategy: (times) => Math.min(times * 100, 2000)
  })
  // ioredis repeats the error at every reconnection attempt: the watch (an outage log) keeps it to a line.
  redis.on('error', (err: Error) => { watch.lost(err) })
  redis.on('ready', () => { watch.recovered() })
  try {
    await redis.connect()
  } catch (err) {
    redis.disconnect()
    throw new Error(`REDIS_URL: cannot connect: ${(err as Error).message}`)
  }
  return redis
}

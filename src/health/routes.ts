// Probes for the load balancer and the container HEALTHCHECK. Liveness says
// only that the process answers; readiness that it can serve: the database
// answers and every shipped migration is applied. Redis, when configured, is
// reported but does not decide: without it the instance still serves, with
// login throttling and rate limits counted in its own memory ("degraded"), so
// a Redis outage must not take the whole fleet out of the load balancer.
// Each check is bounded so the probe answers within its timeout.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'

/** Told what a probe found, so an outage is logged once (the app's outage logs), not at every probe. */
export interface DependencyWatch {
  lost (err: unknown): void
  recovered (): void
}

export interface ReadinessChecks {
  /** Resolves when the database answers a trivial query. */
  ping: () => Promise<void>
  /** Resolves to the shipped migrations the database has not applied. */
  pendingMigrations: () => Promise<string[]>
  /** Resolves when Redis answers; absent when none is configured. */
  redis?: (() => Promise<void>) | undefined
  watch?: { database?: DependencyWatch, redis?: DependencyWatch | undefined }
}

/** What the instance does while Redis does not answer: readiness says it, and so does the log when the outage begins. */
export const WITHOUT_REDIS = "login throttling and rate limits count in this instance's memory until redis returns; " +
  'an account waiting before the outage still waits here, as this instance last saw it'

/** How long one check may take before it counts as failed, ms; the container probe allows 3 s. */
const CHECK_TIMEOUT_MS = 2000

const Readiness = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('unavailable')], { description: 'ok (200): the instance can serve; unavailable (503): it cannot' }),
  database: Type.Union([Type.Literal('up'), Type.Literal('down')]),
  migrations: Type.Union([Type.Literal('applied'), Type.Literal('pending'), Type.Literal('unknown')]),
  redis: Type.Optional(Type.Union([Type.Literal('up'), Type.Literal('degraded')], {
    description: 'Present when REDIS_URL is set. degraded: Redis does not answer; the instance still serves, counting in its own memory'
  })),
  notes: Type.Optional(Type.Array(Type.String(), { description: 'What a degraded dependency means for this instance' }))
})

function bounded<T> (promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

export const healthRoutes: FastifyPluginAsyncTypebox<ReadinessChecks> = async (app, checks) => {
  app.get('/live', {
    logLevel: 'warn',
    schema: { summary: 'Liveness: the process is up', response: { 200: Type.Object({ status: Type.Literal('ok') }) } }
  }, async () => ({ status: 'ok' as const }))

  app.get('/ready', {
    logLevel: 'warn',
    schema: {
      summary: 'Readiness: database reachable and migrations applied; 503 otherwise. Redis is reported; while it is away the instance serves degraded (200)',
      response: { 200: Readiness, 503: Readiness }
    }
  }, async (request, reply) => {
    const database = bounded(checks.ping(), 'the database').then(
      () => bounded(checks.pendingMigrations(), 'the migrations table'))
    const redis = checks.redis !== undefined ? bounded(checks.redis(), 'Redis') : undefined
    const [db, cache] = await Promise.allSettled([database, redis])

    const body: {
      status: 'ok' | 'unavailable'
      database: 'up' | 'down'
      migrations: 'applied' | 'pending' | 'unknown'
      redis?: 'up' | 'degraded'
      notes?: string[]
    } = { status: 'ok', database: 'up', migrations: 'applied' }
    if (db.status === 'rejected') {
      checks.watch?.database?.lost(db.reason)
      Object.assign(body, { status: 'unavailable', database: 'down', migrations: 'unknown' })
    } else {
      checks.watch?.database?.recovered()
      if (db.value.length > 0) {
        request.log.warn({ pending: db.value }, 'readiness: migrations not applied; run `npm run migrate`')
        Object.assign(body, { status: 'unavailable', migrations: 'pending' })
      }
    }
    if (redis !== undefined) {
      if (cache.status === 'fulfilled') {
        checks.watch?.redis?.recovered()
        body.redis = 'up'
      } else {
        checks.watch?.redis?.lost(cache.reason)
        body.redis = 'degraded'
        body.notes = [`redis unreachable: ${WITHOUT_REDIS}`]
      }
    }
    return reply.code(body.status === 'ok' ? 200 : 503).send(body)
  })
}

// Probes for the load balancer and the container HEALTHCHECK. Liveness says
// only that the process answers; readiness that it can serve: the database
// answers, every shipped migration is applied, and Redis answers when one is
// configured. Each check is bounded so the probe answers within its timeout.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'

export interface ReadinessChecks {
  /** Resolves when the database answers a trivial query. */
  ping: () => Promise<void>
  /** Resolves to the shipped migrations the database has not applied. */
  pendingMigrations: () => Promise<string[]>
  /** Resolves when Redis answers; absent when none is configured. */
  redis?: (() => Promise<void>) | undefined
}

/** How long one check may take before it counts as failed, ms; the container probe allows 3 s. */
const CHECK_TIMEOUT_MS = 2000

const Up = Type.Union([Type.Literal('up'), Type.Literal('down')])
const Readiness = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('unavailable')]),
  database: Up,
  migrations: Type.Union([Type.Literal('applied'), Type.Literal('pending'), Type.Literal('unknown')]),
  redis: Type.Optional(Up)
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
      summary: 'Readiness: database reachable, migrations applied, Redis reachable when configured; 503 otherwise',
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
      redis?: 'up' | 'down'
    } = { status: 'ok', database: 'up', migrations: 'applied' }
    if (db.status === 'rejected') {
      request.log.warn({ err: db.reason }, 'readiness: database not reachable')
      Object.assign(body, { status: 'unavailable', database: 'down', migrations: 'unknown' })
    } else if (db.value.length > 0) {
      request.log.warn({ pending: db.value }, 'readiness: migrations not applied; run `npm run migrate`')
      Object.assign(body, { status: 'unavailable', migrations: 'pending' })
    }
    if (redis !== undefined) {
      body.redis = cache.status === 'fulfilled' ? 'up' : 'down'
      if (cache.status === 'rejected') {
        request.log.warn({ err: cache.reason }, 'readiness: Redis not reachable')
        body.status = 'unavailable'
      }
    }
    return reply.code(body.status === 'ok' ? 200 : 503).send(body)
  })
}

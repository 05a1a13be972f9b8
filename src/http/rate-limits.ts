// Per-client-IP rate limits with @fastify/rate-limit: one budget of requests
// shared by the whole auth API (REST and both GraphQL endpoints), and a
// smaller one for requests that check a password. Keys are `request.ip`, so
// X-Forwarded-For counts only when TRUST_PROXY trusts the hop. Counters live
// in Redis when REDIS_URL is set, so every instance spends the same budget.
import rateLimit, { normalizeIP } from '@fastify/rate-limit'
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import type { Config } from '../config.js'
import { AuthError } from '../errors.js'
import type { Redis } from '../storage/redis.js'

export interface RateLimits {
  /**
   * An onRequest hook spending one request of the client's budget. CORS
   * preflights are free, and so is a route whose config says
   * `rateLimit: false` (the plugin's own opt-out).
   */
  perClient (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void
  /** Spends one of the client's password checks; RATE_LIMITED (with Retry-After) once they are used up. */
  passwordCheck (request: FastifyRequest, reply: FastifyReply): Promise<void>
}

function limitedError (retryAfter: number, after: string): AuthError {
  return new AuthError('RATE_LIMITED', `Rate limit exceeded, retry in ${after}`, { retryAfter })
}

/** Registers the plugin (never globally: routes opt in through the returned hooks). */
export async function registerRateLimits (app: FastifyInstance, config: Config, redis: Redis | undefined): Promise<RateLimits> {
  const timeWindow = config.RATE_LIMIT_WINDOW * 1000
  await app.register(rateLimit, {
    global: false,
    max: config.RATE_LIMIT_MAX,
    timeWindow,
    ...(redis !== undefined ? { redis, nameSpace: `${config.REDIS_KEY_PREFIX}rate-limit:` } : {}),
    // Fail open: these limits protect capacity, and an unreachable Redis must not stop every login.
    // Login throttling (per account) fails closed instead.
    skipOnError: true,
    errorResponseBuilder: (_request, context) => limitedError(Math.ceil(context.ttl / 1000), context.after)
  })

  const requests = app.rateLimit()
  const passwordChecks = app.createRateLimit({
    max: config.LOGIN_RATE_LIMIT_MAX,
    timeWindow,
    keyGenerator: (request) => `password-checks:${normalizeIP(request.ip)}`
  })

  return {
    // A callback rather than an async function: one promise fewer on every request.
    perClient (request, reply, done) {
      if (request.method === 'OPTIONS' || request.routeOptions.config?.rateLimit === false) {
        done()
        return
      }
      requests.call(app, request, reply).then(() => { done() }, done)
    },

    async passwordCheck (request, reply) {
      const limit = await passwordChecks(request)
      if (limit.isAllowed || !limit.isExceeded) return
      const seconds = Math.max(1, limit.ttlInSeconds)
      reply.header('retry-after', seconds)
      throw limitedError(seconds, `${seconds} seconds`)
    }
  }
}

// Per-client-IP rate limits with @fastify/rate-limit: one budget of requests
// shared by the auth API (REST and both GraphQL endpoints; not the reads
// answered from memory, which a refusal would cost as much as), and a
// smaller one for requests that check a password. Keys are `request.ip`, so
// X-Forwarded-For counts only when TRUST_PROXY trusts the hop. Counters live
// in Redis when REDIS_URL is set, so every instance spends the same budget,
// and in this instance's memory while Redis does not answer.
import rateLimit, { normalizeIP } from '@fastify/rate-limit'
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction, RouteOptions } from 'fastify'
import type { Config } from '../config.js'
import { AuthError } from '../errors.js'
import type { Redis } from '../storage/redis.js'
import { fallingBackRateLimitStore, type SharedStoreWatch } from './rate-limit-store.js'

export interface RateLimits {
  /**
   * An onRequest hook spending one request of the client's budget, for the
   * contexts whose routes all count; CORS preflights are free.
   */
  perClient (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void
  /**
   * An onRoute hook giving each route of a context `perClient` as its first
   * onRequest hook, unless the route opts out with the plugin's own setting,
   * `config: { rateLimit: false }`: decided once per route, not per request.
   */
  countRoute (route: RouteOptions): void
  /** Spends one of the client's password checks; RATE_LIMITED (with Retry-After) once they are used up. */
  passwordCheck (request: FastifyRequest, reply: FastifyReply): Promise<void>
}

/**
 * Whether a route spends the client's request budget: every one does but those
 * that opt out with the plugin's own route setting, `config: { rateLimit: false }`.
 * The REST context's hook and the OpenAPI document's 429 both follow it.
 */
export function spendsRequestBudget (config: unknown): boolean {
  return (config as { rateLimit?: unknown } | undefined)?.rateLimit !== false
}

function limitedError (retryAfter: number, after: string): AuthError {
  return new AuthError('RATE_LIMITED', `Rate limit exceeded, retry in ${after}`, { retryAfter })
}

/** Registers the plugin (never globally: routes opt in through the returned hooks). */
export async function registerRateLimits (app: FastifyInstance, config: Config, shared?: { redis: Redis, watch: SharedStoreWatch }): Promise<RateLimits> {
  const timeWindow = config.RATE_LIMIT_WINDOW * 1000
  await app.register(rateLimit, {
    global: false,
    max: config.RATE_LIMIT_MAX,
    timeWindow,
    ...(shared !== undefined ? { store: fallingBackRateLimitStore(shared.redis, `${config.REDIS_KEY_PREFIX}rate-limit:`, shared.watch) } : {}),
    // The store falls back to memory by itself; should it ever fail anyway, let the request through:
    // these limits protect capacity, and login throttling (per login name) still applies.
    skipOnError: true,
    // The budget's headers go with a refusal (429, beside Retry-After), not with
    // every answer: a client needs them when it must wait, and three headers
    // cost an answer ≈ 7,600 of 114,000 instructions (a profile request, callgrind).
    addHeadersOnExceeding: { 'x-ratelimit-limit': false, 'x-ratelimit-remaining': false, 'x-ratelimit-reset': false },
    errorResponseBuilder: (_request, context) => limitedError(Math.ceil(context.ttl / 1000), context.after)
  })

  const requests = app.rateLimit()
  const passwordChecks = app.createRateLimit({
    max: config.LOGIN_RATE_LIMIT_MAX,
    timeWindow,
    keyGenerator: (request) => `password-checks:${normalizeIP(request.ip)}`
  })

  // A callback rather than an async function: one promise fewer on every request.
  function perClient (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void {
    if (request.method === 'OPTIONS') {
      done()
      return
    }
    requests.call(app, request, reply).then(() => { done() }, done)
  }

  return {
    perClient,

    countRoute (route) {
      if (!spendsRequestBudget(route.config)) return
      const own = route.onRequest === undefined ? [] : Array.isArray(route.onRequest) ? route.onRequest : [route.onRequest]
      route.onRequest = [perClient, ...own]
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

// Abuse protection both GraphQL endpoints share: the per-client request
// budget, no caching, and one password check spent from the client's budget
// per request that logs in. Validation (limits.ts) has already refused
// requests with more than one login.
import type { FastifyInstance } from 'fastify'
import type { RateLimits } from '../http/rate-limits.js'
import { noStore } from '../http/security-headers.js'
import { selectsPasswordCheck } from './limits.js'

/** Before Mercurius is registered in `app` (the endpoint's own context), so its routes get the hooks. */
export function protectEndpoint (app: FastifyInstance, limits: RateLimits): void {
  app.addHook('onRequest', limits.perClient)
  app.addHook('onRequest', noStore)
}

/** After Mercurius is registered in `app`. */
export function limitPasswordChecks (app: FastifyInstance, limits: RateLimits): void {
  app.graphql.addHook('preExecution', async (_schema, document, context) => {
    if (selectsPasswordCheck(document)) await limits.passwordCheck(context.reply.request, context.reply)
  })
}

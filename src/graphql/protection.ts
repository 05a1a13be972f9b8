// Abuse protection both GraphQL endpoints share: the per-client request
// budget and one error for a repeated directive. The resolvers
// that check a password spend one of the client's password checks each
// (RateLimits.passwordCheck); validation (limits.ts) has already refused
// requests with more than one login.
import { GraphQLError } from 'graphql'
import type { FastifyInstance } from 'fastify'
import type { RateLimits } from '../http/rate-limits.js'
import { repeatedDirective } from './limits.js'

/** Before Mercurius is registered in `app` (the endpoint's own context), so its routes get the hooks. */
export function protectEndpoint (app: FastifyInstance, limits: RateLimits): void {
  app.addHook('onRequest', limits.perClient)
}

/** After Mercurius is registered in `app`. */
export function refuseRepeatedDirectives (app: FastifyInstance): void {
  app.graphql.addHook('preValidation', async (_schema, document) => {
    const repeated = repeatedDirective(document)
    if (repeated === undefined) return
    // Shaped as Mercurius's own validation failure: a 400 whose details are GraphQL errors.
    const error = new GraphQLError(`The directive "@${repeated.name.value}" is used more than once here`, { nodes: repeated })
    throw Object.assign(new Error('Graphql validation error'), { statusCode: 400, errors: [error] })
  })
}

// CORS for a GraphQL endpoint: headers on every response of the endpoint and
// an OPTIONS route answering 200 with an empty body. Tokens travel in
// headers, never cookies, so no credentials mode is ever allowed.
import type { FastifyInstance } from 'fastify'

export interface CorsPolicy {
  /** The Access-Control-Allow-Origin value for a request's Origin, or null to send no CORS headers. */
  allowOrigin (origin: string | undefined): string | null
  methods: string
  headers: string
  /** Response headers a browser script may read. */
  expose?: string
}

export function registerCors (app: FastifyInstance, path: string, policy: CorsPolicy): void {
  app.addHook('onRequest', async (request, reply) => {
    const origin = policy.allowOrigin(request.headers.origin)
    if (origin === null) return
    reply.header('access-control-allow-origin', origin)
    if (origin !== '*') reply.header('vary', 'Origin')
    reply.header('access-control-allow-methods', policy.methods)
    reply.header('access-control-allow-headers', policy.headers)
    if (policy.expose !== undefined) reply.header('access-control-expose-headers', policy.expose)
  })
  app.options(path, async (_request, reply) => reply.code(200).send())
}

/** A policy from a list of origins (GRAPHQL_CORS_ORIGINS, CORS_ORIGINS): "*" or comma-separated; null when empty. */
export function allowListPolicy (setting: string, rest: Omit<CorsPolicy, 'allowOrigin'>): CorsPolicy | null {
  const origins = setting.split(',').map(s => s.trim().replace(/\/$/, '')).filter(Boolean)
  if (origins.length === 0) return null
  const any = origins.includes('*')
  return {
    ...rest,
    allowOrigin: (origin) => any ? '*' : (origin !== undefined && origins.includes(origin) ? origin : null)
  }
}

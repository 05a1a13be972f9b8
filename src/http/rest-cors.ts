// CORS for the REST API (@fastify/cors), from CORS_ORIGINS. Tokens travel in
// headers, never cookies, so credentials mode is never allowed and "*" is
// safe for deployments that want any origin. The GraphQL endpoints answer
// CORS themselves (src/graphql/cors.ts): /service/Auth keeps the
// CollectiveAccess headers whatever this says.
import type { FastifyInstance } from 'fastify'
import { list } from '../config.js'

/** Registers CORS in `scope` (the REST routes' context); nothing when `origins` is empty. */
export async function registerRestCors (scope: FastifyInstance, origins: string): Promise<void> {
  const allowed = list(origins).map(origin => origin.replace(/\/$/, ''))
  if (allowed.length === 0) return
  // Loaded only when some origin is allowed; CORS_ORIGINS is empty unless set.
  const { default: cors } = await import('@fastify/cors')
  await scope.register(cors, {
    origin: allowed.includes('*') ? '*' : allowed,
    methods: ['GET', 'POST', 'PATCH', 'DELETE'],
    allowedHeaders: ['content-type', 'authorization'],
    // Browser scripts may read how long to wait, and the budget a 429 reports.
    exposedHeaders: ['retry-after', 'x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset'],
    credentials: false,
    maxAge: 600
  })
}

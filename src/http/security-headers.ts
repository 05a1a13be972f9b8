// Security headers for an API (helmet): a CSP that lets a response load and
// frame nothing, HSTS, nosniff, no referrer, no framing. Responses of the
// auth API also forbid caching, since they carry tokens and user data
// (RFC 6749 §5.1). HTML pages served in development (GraphiQL, which loads
// its scripts from a CDN) keep every header but the CSP.
import helmet from '@fastify/helmet'
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify'

export async function registerSecurityHeaders (app: FastifyInstance): Promise<void> {
  await app.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"], baseUri: ["'none'"], formAction: ["'none'"] }
    },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' }
  })
}

/** An onRequest hook: the response may not be stored by browsers or proxies. */
export async function noStore (_request: FastifyRequest, reply: FastifyReply): Promise<void> {
  reply.header('cache-control', 'no-store')
}

/** An onRoute hook for a context serving an HTML page under `pathPrefix`: that page goes without the CSP. */
export function withoutCspUnder (pathPrefix: string) {
  return function relaxCsp (route: RouteOptions): void {
    if (!route.url.startsWith(pathPrefix)) return
    // helmet's own onRoute hook (the root's) has already run: set what it reads per request.
    route.config = { ...route.config, helmet: { contentSecurityPolicy: false } } as RouteOptions['config']
  }
}

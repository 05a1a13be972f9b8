// Security headers for an API (helmet): a CSP that lets a response load and
// frame nothing, HSTS, nosniff, no referrer, no framing. Responses of the
// auth API also forbid caching, since they carry tokens and user data
// (RFC 6749 §5.1). HTML pages served in development (GraphiQL, which loads
// its scripts from a CDN) keep every header but the CSP.
//
// helmet decides the headers; they do not depend on the request, so they are
// computed once here and copied onto each reply. (@fastify/helmet builds
// helmet's middleware again on every request, a measurable cost on the
// token-verification hot path.)
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction, RouteOptions } from 'fastify'
import helmet, { type HelmetOptions } from 'helmet'

const OPTIONS: HelmetOptions = {
  contentSecurityPolicy: {
    useDefaults: false,
    directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"], baseUri: ["'none'"], formAction: ["'none'"] }
  },
  frameguard: { action: 'deny' },
  referrerPolicy: { policy: 'no-referrer' }
}

/** The headers helmet sets with these options, collected from one run of its middleware. */
function headersOf (options: HelmetOptions): Record<string, string> {
  const headers: Record<string, string> = {}
  const response = {
    setHeader (name: string, value: string | number | string[]) { headers[name.toLowerCase()] = String(value) },
    removeHeader () {}
  }
  helmet(options)({} as IncomingMessage, response as unknown as ServerResponse, (err?: unknown) => { if (err !== undefined) throw err })
  return headers
}

const API_HEADERS = headersOf(OPTIONS)
const PAGE_HEADERS = headersOf({ ...OPTIONS, contentSecurityPolicy: false })

export async function registerSecurityHeaders (app: FastifyInstance): Promise<void> {
  app.addHook('onRequest', async (request, reply) => {
    reply.headers((request.routeOptions.config as { htmlPage?: boolean }).htmlPage === true ? PAGE_HEADERS : API_HEADERS)
  })
}

/** An onRequest hook: the response may not be stored by browsers or proxies. A callback, as it never waits: no promise per request. */
export function noStore (_request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void {
  reply.header('cache-control', 'no-store')
  done()
}

/** An onRoute hook for a context serving an HTML page under `pathPrefix`: that page goes without the CSP. */
export function withoutCspUnder (pathPrefix: string) {
  return function relaxCsp (route: RouteOptions): void {
    if (!route.url.startsWith(pathPrefix)) return
    route.config = { ...route.config, htmlPage: true } as RouteOptions['config']
  }
}

// Security headers for an API (helmet): a CSP that lets a response load and
// frame nothing, HSTS, nosniff, no framing. No answer may be stored unless
// its route says so (the public keys, GraphiQL's files): the auth API's
// carry tokens and user data (RFC 6749 §5.1). The gateway's own HTML pages
// (GraphiQL) get a CSP of their own: scripts, styles and requests from the
// gateway's origin only, so a page that holds access tokens runs no third
// party's code.
//
// helmet decides the headers; they do not depend on the request, so they are
// computed once here and copied onto each reply. (@fastify/helmet builds
// helmet's middleware again on every request, a measurable cost on the
// token-verification hot path.)
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import helmet, { type HelmetOptions } from 'helmet'

const OPTIONS = {
  contentSecurityPolicy: {
    useDefaults: false,
    directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"], baseUri: ["'none'"], formAction: ["'none'"] }
  },
  frameguard: { action: 'deny' },
  referrerPolicy: { policy: 'no-referrer' }
} as const satisfies HelmetOptions

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

/**
 * For pages: scripts, styles and requests of this origin only; no inline
 * script or style, no eval. Icons and fonts come inlined in the stylesheet
 * as data: URLs. (GraphiQL's dialogs try one inline style element, which
 * only makes up for a hidden scrollbar's width; refusing it changes nothing
 * on a page that never scrolls.)
 */
const PAGE_CSP = {
  defaultSrc: ["'none'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:'],
  fontSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
  frameAncestors: ["'none'"],
  baseUri: ["'none'"],
  formAction: ["'none'"]
}

/**
 * helmet's headers that act only on a document a browser renders: its
 * browsing context's isolation (Cross-Origin-Opener-Policy,
 * Origin-Agent-Cluster), the Referer its links and loads send
 * (Referrer-Policy), DNS prefetching, old browsers' XSS filter and download
 * prompt, Flash's cross-domain policies. And Cross-Origin-Resource-Policy,
 * which keeps another site's page from loading an answer into its own
 * process: it guards what a browser fetches with ambient credentials, and
 * the API's answers are either public or need a bearer token that no page
 * can send without having it (the gateway sets no cookie). The API's JSON
 * answers keep the headers OWASP's REST Security Cheat Sheet asks of every
 * API response: CSP with frame-ancestors, HSTS, nosniff, X-Frame-Options
 * and Cache-Control: no-store. Pages keep all of them. Each header is work on every answer: ≈ 2,500
 * instructions of the 106,500 a profile request took (callgrind).
 */
const DOCUMENT_ONLY = {
  crossOriginOpenerPolicy: false,
  crossOriginResourcePolicy: false,
  originAgentCluster: false,
  referrerPolicy: false,
  xDnsPrefetchControl: false,
  xDownloadOptions: false,
  xPermittedCrossDomainPolicies: false,
  xXssProtection: false
} as const satisfies HelmetOptions

/** Set with the others rather than by a hook of its own; a route whose answer may be kept sets its own. */
const NO_STORE = { 'cache-control': 'no-store' }
const API_HEADERS: Record<string, string> = { ...headersOf({ ...OPTIONS, ...DOCUMENT_ONLY }), ...NO_STORE }
const PAGE_HEADERS: Record<string, string> = { ...headersOf({ ...OPTIONS, contentSecurityPolicy: { useDefaults: false, directives: PAGE_CSP } }), ...NO_STORE }

const NOSNIFF = API_HEADERS['x-content-type-options'] ?? 'nosniff'

/** The route config of a route serving a page or its files: it gets the page CSP. */
export const PAGE_ROUTE = { htmlPage: true } as const
/**
 * The route config of a route whose answer only a proxy reads (forward-auth):
 * none of these headers. nginx, Traefik and Envoy drop them, its 200 answer
 * has no body to protect, and each header is work on the hottest path of the
 * deployment. A refusal has a JSON body: `nosniffOnError` marks it.
 */
export const PROXY_ROUTE = { proxyAnswer: true } as const

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route serves a page or its files (PAGE_ROUTE). */
    htmlPage?: boolean
    /** Only a proxy reads the route's answer (PROXY_ROUTE). */
    proxyAnswer?: boolean
  }
}

export async function registerSecurityHeaders (app: FastifyInstance): Promise<void> {
  // A callback, as it never waits: no promise on every request.
  app.addHook('onRequest', (request, reply, done) => {
    const config = request.routeOptions.config
    if (config.proxyAnswer !== true) reply.headers(config.htmlPage === true ? PAGE_HEADERS : API_HEADERS)
    done()
  })
}

/** A route's onError hook for PROXY_ROUTE routes: an error's answer has a JSON body, which no browser may sniff as anything else. */
export function nosniffOnError (_request: FastifyRequest, reply: FastifyReply, _error: Error, done: () => void): void {
  reply.header('x-content-type-options', NOSNIFF)
  done()
}

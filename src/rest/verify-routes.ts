// Forward-auth for proxies in front of other services (nginx auth_request,
// Traefik ForwardAuth, Envoy ext_authz): 200 with the caller's identity in
// headers for a valid access token, 401 otherwise. Mounted at /auth and
// /api/v1/auth. The check is in memory (signature, expiry, ended sessions),
// so this path never waits for the database.
//
// The 200 answer has no body: every proxy reads the status and the headers
// and drops the rest, and a body of any size costs each answer a second
// write (Node sends headers and body as two chunks): 13,800 of 90,300
// instructions a request, counted with callgrind, when it carried the
// identity again as JSON.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Principal } from '../http/access-tokens.js'
import { identityHeaders } from '../http/identity-headers.js'
import { nosniffOnError, PROXY_ROUTE } from '../http/security-headers.js'
import type { RestOptions } from './route-options.js'
import { ErrorBody } from './schemas.js'

/** Documented in OpenAPI as the 200 answer's headers. */
const identityHeaderSchema = {
  'X-User-Id': { type: 'string', description: 'The user id' },
  'X-User-Email': { type: 'string', description: 'The email; characters outside visible ASCII, and "%", percent-encoded (UTF-8)' },
  'X-User-Role': { type: 'string', description: 'customer or admin' },
  'X-User-School': { type: 'string', description: 'The school (tenant), encoded as X-User-Email; absent for users without one' }
}

/** Methods a proxy may forward the original request with (Envoy, Traefik's preserveRequestMethod). */
const FORWARDED_METHODS = ['POST', 'PUT', 'PATCH', 'DELETE'] as const

export const verifyRoutes: FastifyPluginAsyncTypebox<Pick<RestOptions, 'edge'>> = async (app, { edge }) => {
  // A proxy may forward the original request's Content-Type without its body;
  // whatever comes is read (up to BODY_LIMIT) and ignored, never refused as malformed.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, _body, done) => { done(null, undefined) })

  // A token's answer is the same on every request that presents it, so its
  // headers are built once per verified token: the edge hands back the same
  // principal for a token it has checked before, after checking its time and
  // session again on every request.
  const answers = new WeakMap<Principal, Record<string, string>>()

  function headersFor (principal: Principal): Record<string, string> {
    let headers = answers.get(principal)
    if (headers === undefined) {
      headers = { ...identityHeaders(principal.claims), 'cache-control': 'no-store' }
      answers.set(principal, headers)
    }
    return headers
  }

  // Not async: it never waits, and a promise per request is work on the hottest path.
  // What `authenticate` throws reaches the error handler all the same.
  function verify (request: FastifyRequest, reply: FastifyReply): void {
    reply.headers(headersFor(edge.authenticate(request))).send()
  }

  // Not counted against the client's request budget (app.ts mounts these
  // routes outside the REST context): a proxy asks once per request to the
  // services it protects, and the check costs no database work. Its answer
  // goes to the proxy, so it carries no page-protecting headers. `rateLimit:
  // false` says so to the plugin and to the OpenAPI document.
  const config = { rateLimit: false, ...PROXY_ROUTE } as const
  const routeOptions = { config, logLevel: 'warn', onError: nosniffOnError } as const

  app.get('/verify', {
    ...routeOptions,
    schema: {
      summary: 'Forward-auth: 200 with X-User-Id, X-User-Email, X-User-Role and X-User-School for a valid access token, 401 otherwise',
      security: [{ bearerAuth: [] }],
      response: {
        200: { type: 'null', description: 'The identity, in headers only', headers: identityHeaderSchema },
        401: ErrorBody
      }
    }
  }, verify)

  // Proxies that keep the original method, or append the original path (Envoy's path_prefix); not in OpenAPI.
  app.route({ method: [...FORWARDED_METHODS], url: '/verify', ...routeOptions, schema: { hide: true }, handler: verify })
  app.route({ method: ['GET', ...FORWARDED_METHODS], url: '/verify/*', ...routeOptions, schema: { hide: true }, handler: verify })
}

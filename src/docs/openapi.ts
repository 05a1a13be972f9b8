// OpenAPI 3 generated from the route schemas (@fastify/swagger), served at
// /openapi.json, and Swagger UI at /docs when enabled. Register before the
// routes: the generator learns them as they are added. The answers every
// route shares (400 for a bad request, 401, 413, 415, 503) are documented
// here once rather than repeated in each route.
import { readFileSync } from 'node:fs'
import { STATUS_CODES } from 'node:http'
import { join } from 'node:path'
import swagger from '@fastify/swagger'
import type { FastifyInstance, FastifySchema } from 'fastify'
import type { Config } from '../config.js'
import { ErrorBody } from '../http/error-body.js'
import { spendsRequestBudget } from '../http/rate-limits.js'
import { packageRoot } from '../package-root.js'

/** Swagger UI: DOCS when set, otherwise everywhere but production. */
export function docsEnabled (config: Config): boolean {
  return config.DOCS ?? config.NODE_ENV !== 'production'
}

/** Answers any route may give, worded once. */
const SHARED_ANSWERS: Record<string, string> = {
  400: 'The request does not match the schema; the message names the field',
  401: 'Missing, invalid or expired access token, or a session that has ended',
  413: 'The body is larger than BODY_LIMIT',
  429: 'Too many requests from this client (RATE_LIMIT_MAX, LOGIN_RATE_LIMIT_MAX for password checks) or failed logins for the account; Retry-After says when to retry',
  415: 'The body is neither JSON nor application/x-www-form-urlencoded',
  503: 'The database is unreachable or this instance is shutting down; retry (another instance may answer)'
}

/** Answers routes declare without words of their own. */
const DECLARED_ANSWERS: Record<string, string> = {
  401: 'Wrong email or password, or an invalid, expired or already used refresh token',
  403: 'The account is disabled, or the caller is not an administrator',
  404: 'No such user or live session',
  409: 'The email or username is already taken'
}

function describe (status: string, bearer: boolean): string {
  if (status === '401' && bearer) return SHARED_ANSWERS[401] as string
  return DECLARED_ANSWERS[status] ?? SHARED_ANSWERS[status] ?? STATUS_CODES[Number(status)] ?? 'Answer'
}

/**
 * Routes left out: GraphQL endpoints, the UI and this document, the /api/v1
 * aliases (described once in the text). Routes may also hide themselves (schema.hide).
 */
const UNDOCUMENTED = [/^\/api\/v1\//, /^\/graphql$/, /^\/graphiql/, /^\/service\//, /^\/docs(\/|$)/, /^\/openapi\.json$/]

/** The tag (Postman folder) of a documented path; a new top-level path gets its own, so it is never left out by accident. */
function tagOf (path: string): string {
  if (path.startsWith('/auth/sessions')) return 'sessions'
  if (path === '/auth/verify') return 'forward-auth'
  if (path.startsWith('/health/') || path === '/metrics') return 'operations'
  if (path === '/.well-known/jwks.json') return 'keys'
  return path.split('/')[1] ?? 'other'
}

interface RouteSchema extends FastifySchema {
  security?: Array<Record<string, string[]>>
  response?: Record<string, unknown>
  tags?: string[]
  hide?: boolean
  consumes?: string[]
}

/** Adds the tag and the shared answers a route can give to its documented schema. */
/** Routes every client request budget applies to (src/http/rate-limits.ts), unless the route opts out. */
const RATE_LIMITED = /^\/(auth|users|audit)(\/|$)/

interface DocumentedRoute {
  schema?: FastifySchema | undefined
  url: string
  route?: { config?: unknown } | undefined
}

export function documentRoute ({ schema, url, route: options }: DocumentedRoute): { schema: RouteSchema, url: string } {
  const route = (schema ?? {}) as RouteSchema
  // Fastify adds `/users` and `/users/` for a prefixed '/' route; document one.
  const path = url.length > 1 && url.endsWith('/') ? url.slice(0, -1) : url
  if (route.hide === true || UNDOCUMENTED.some(pattern => pattern.test(path))) return { schema: { ...route, hide: true }, url }
  const tag = tagOf(path)
  const bearer = route.security?.some(s => 'bearerAuth' in s) === true
  const response: Record<string, unknown> = {}
  for (const [status, answer] of Object.entries(route.response ?? {})) {
    const described = (answer as { description?: unknown }).description !== undefined
    response[status] = described ? answer : { ...(answer as object), description: describe(status, bearer) }
  }
  const add = (status: number) => { response[status] ??= { ...ErrorBody, description: SHARED_ANSWERS[status] } }
  if (route.body !== undefined || route.params !== undefined || route.querystring !== undefined) add(400)
  if (bearer) add(401)
  if (route.body !== undefined) { add(413); add(415) }
  if (RATE_LIMITED.test(path) && spendsRequestBudget(options?.config)) add(429)
  add(503)
  return {
    url: path,
    schema: {
      ...route,
      tags: [tag],
      response,
      ...(route.body !== undefined ? { consumes: ['application/json', 'application/x-www-form-urlencoded'] } : {})
    }
  }
}

function packageVersion (): string {
  return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version
}

const DESCRIPTION = [
  'Authentication gateway: password login, JWT access tokens, rotating refresh tokens, sessions and users.',
  '',
  'Every route under `/auth`, `/users` and `/audit` also answers under `/api/v1` (`/api/v1/auth/login`, ...).',
  'Bodies are JSON or `application/x-www-form-urlencoded`; errors are always `{statusCode, error, message}`.',
  'The GraphQL endpoints (`/graphql`, `/service/Auth`) are described in docs/graphql.md.'
].join('\n')

/**
 * Swagger UI's own CSP, less what would reach beyond the gateway: styles and
 * fonts from any https: origin, and the public validator's badge (which the
 * UI is not asked to show). Served over plain HTTP on internal ports too,
 * where upgrading the UI's own scripts to HTTPS would break it.
 */
function sameOriginOnly (header: string): string {
  return header.replace(/\s*upgrade-insecure-requests;?/, '').replace(/ (?:https:|validator\.swagger\.io)(?=[ ;])/g, '')
}

export async function registerOpenApi (app: FastifyInstance, { ui }: { ui: boolean }): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'authgate', version: packageVersion(), description: DESCRIPTION },
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'An access token from POST /auth/login or POST /auth/refresh-token' },
          metricsToken: { type: 'http', scheme: 'bearer', description: 'The METRICS_TOKEN setting, when it is set' }
        }
      },
      tags: [
        { name: 'auth', description: 'Log in, refresh, log out, profile, password' },
        { name: 'sessions', description: "The caller's own sessions (devices)" },
        { name: 'forward-auth', description: 'For proxies protecting other services (nginx auth_request, Traefik ForwardAuth, Envoy)' },
        { name: 'users', description: 'Administration of users (admin role)' },
        { name: 'audit', description: 'The security audit trail (admin role)' },
        { name: 'keys', description: 'Public keys for verifying access tokens' },
        { name: 'operations', description: 'Probes and metrics' }
      ]
    },
    transform: documentRoute
  })

  app.get('/openapi.json', { schema: { hide: true }, logLevel: 'warn' }, async () => app.swagger())

  if (ui) {
    // Loaded only when served: production leaves the UI off by default.
    const { default: swaggerUi } = await import('@fastify/swagger-ui')
    await app.register(swaggerUi, {
      routePrefix: '/docs',
      staticCSP: true,
      transformStaticCSP: sameOriginOnly,
      uiConfig: { persistAuthorization: false, tryItOutEnabled: true }
    })
  }
}

// A real gateway on a loopback port for the client's tests, which records
// every request that reaches it: which were refresh requests (on any
// surface) and what each was answered, so tests count what the client
// really sent.
import type { FastifyRequest } from 'fastify'
import { buildApp, type App } from '../../../src/app.js'
import type { Clock } from '../../../src/clock.js'
import { ADMIN, freshDatabaseUrl, login, manualClock, testConfig, type Test, type TestProvider } from '../../helper.js'
import { AuthgateClient, MemoryTokenStore, type AuthgateClientOptions, type Surface } from '../../../clients/typescript/src/index.js'

export const SURFACES: Surface[] = ['rest', 'graphql', 'service-auth']

export interface Reached {
  method: string
  path: string
  status: number
  refresh: boolean
  /** The bearer token the request carried, if any. */
  bearer: string | undefined
}

export interface Gateway {
  app: App
  baseUrl: string
  /** Every request answered, in order. */
  reached: Reached[]
  refreshes (): number
  /** Audit events of a type, read as an administrator. */
  audit (type: string): Promise<Array<{ type: string, sessionId: string | null }>>
}

/** Whether a request asks for a refresh: REST's route, /graphql's refreshToken, /service/Auth's refresh. */
function isRefresh (request: FastifyRequest): boolean {
  if (request.method !== 'POST') return false
  const path = request.url.split('?')[0]
  if (path === '/auth/refresh-token' || path === '/api/v1/auth/refresh-token') return true
  const query = (request.body as { query?: unknown } | undefined)?.query
  if (typeof query !== 'string') return false
  if (path === '/graphql') return /\brefreshToken\s*\(/.test(query)
  if (path === '/service/Auth') return /\brefresh\s*\(/.test(query)
  return false
}

export interface GatewayOptions {
  env?: Record<string, string>
  clock?: Clock
  /** Adds hooks of the test's own before the gateway starts. */
  configure?: (app: App) => void
}

export async function startGateway (t: Test, provider: TestProvider, { env = {}, clock, configure }: GatewayOptions = {}): Promise<Gateway> {
  const databaseUrl = await freshDatabaseUrl(t, provider)
  // Access tokens of two seconds, so tokens really expire within a test.
  const config = testConfig(databaseUrl, { ACCESS_TOKEN_TTL: '2', ...env })
  const app = await buildApp(config, { announce: () => {}, ...(clock !== undefined ? { clock } : {}) })
  t.teardown(() => app.close())
  const refreshRequests = new WeakSet<FastifyRequest>()
  const reached: Reached[] = []
  app.addHook('preHandler', async (request) => {
    if (isRefresh(request)) refreshRequests.add(request)
  })
  app.addHook('onResponse', async (request, reply) => {
    const header = request.headers.authorization
    reached.push({
      method: request.method,
      path: request.url.split('?')[0] as string,
      status: reply.statusCode,
      refresh: refreshRequests.has(request),
      bearer: header?.replace(/^bearer\s+/i, '')
    })
  })
  configure?.(app)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('not listening on a port')

  return {
    app,
    baseUrl: `http://127.0.0.1:${address.port}`,
    reached,
    refreshes: () => reached.filter(r => r.refresh).length,
    async audit (type) {
      const { accessToken } = await login(app)
      const res = await app.inject({ method: 'GET', url: `/audit?type=${encodeURIComponent(type)}&limit=500`, headers: { authorization: `Bearer ${accessToken}` } })
      if (res.statusCode !== 200) throw new Error(`audit: ${res.statusCode} ${res.body}`)
      return res.json()
    }
  }
}

export interface TestClient {
  client: AuthgateClient
  store: MemoryTokenStore
  /** The reasons onSessionEnded was called with, in order. */
  ended: string[]
}

/** A client of the gateway on one surface, logged in as the administrator. */
export async function loggedInClient (gateway: Gateway, surface: Surface, options: Partial<AuthgateClientOptions> = {}): Promise<TestClient> {
  const store = new MemoryTokenStore()
  const ended: string[] = []
  const client = new AuthgateClient({
    baseUrl: gateway.baseUrl,
    surface,
    store,
    onSessionEnded: (reason) => { ended.push(reason) },
    ...options
  })
  await client.login({ email: ADMIN.email, password: ADMIN.password })
  return { client, store, ended }
}

/** The call each surface makes with its own protocol, and a second kind of call, so both paths are exercised. */
export function protectedCalls (client: AuthgateClient, surface: Surface): Array<() => Promise<number>> {
  const profile = async () => (await client.profile()).id
  switch (surface) {
    case 'rest':
      return [profile, async () => {
        const res = await client.fetch('/auth/sessions')
        if (res.status !== 200) throw new Error(`GET /auth/sessions answered ${res.status}`)
        return ((await res.json()) as unknown[]).length
      }]
    case 'graphql':
      return [profile, async () => (await client.graphql<{ me: { id: number } }>('{ me { id } }')).me.id]
    case 'service-auth':
      return [profile, async () => (await client.graphql<{ validate: { id: number } }>('{ validate { id } }')).validate.id]
  }
}

/** n calls at once, alternating between the surface's kinds of call. */
export function concurrentCalls (client: AuthgateClient, surface: Surface, n: number) {
  const calls = protectedCalls(client, surface)
  return Promise.allSettled(Array.from({ length: n }, (_, i) => (calls[i % calls.length] as () => Promise<number>)()))
}

/**
 * A clock for the gateway that tests move by hand, starting on a whole
 * second: JWT times are whole seconds, so tokens then live exactly their
 * lifetime from the moment they are issued.
 */
export const gatewayClock = () => manualClock(Math.floor(Date.now() / 1000) * 1000)

/** The real clock, which keeps running, moved forward by the test's jumps (to expire tokens without waiting). */
export function jumpingClock () {
  let offset = 0
  return { now: () => Date.now() + offset, jump (seconds: number) { offset += seconds * 1000 } }
}

/** A clock that stands still: the client never thinks its token is about to expire, so only the gateway's refusal triggers a refresh. */
export const frozenClock = (at = Date.now()) => () => at

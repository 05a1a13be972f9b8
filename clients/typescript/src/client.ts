// The client: one session, kept in a pluggable store, refreshed by exactly
// one request however many calls find its access token expired at once.
import { NetworkError, SessionEndedError, type SessionEndReason } from './errors.js'
import { graphqlAttempt, graphqlRequest, RefreshRefused, type Attempt, type Transport } from './http.js'
import { HEADER_TOKENS, headerToken, SURFACES, type LoginOptions, type Profile, type SurfaceProtocol } from './surfaces.js'
import { isRefreshable, isTokens, jwtPayload, lifetimeSeconds, localExpiry, MemoryTokenStore, type Surface, type TokenStore, type Tokens } from './tokens.js'

export interface AuthgateClientOptions {
  /** The gateway, e.g. `http://localhost:3000`. Paths given to `fetch()` are relative to it. */
  baseUrl: string
  /** The surface to log in and refresh on. Default `rest`. */
  surface?: Surface
  /** Where the session is kept. Default: memory. */
  store?: TokenStore
  /** The fetch to use. Default: the global one. */
  fetch?: typeof globalThis.fetch
  /** Called once when the session ends: the refresh was refused, or this client logged out. */
  onSessionEnded?: (reason: SessionEndReason, error: SessionEndedError) => void
  /** The clock, ms since the epoch. Default `Date.now`. */
  now?: () => number
  /**
   * Refresh this many seconds before the access token expires (default 30),
   * but never earlier than three quarters into its lifetime.
   */
  refreshMarginSeconds?: number
}

export interface GraphQLCallOptions {
  /** The endpoint; default the surface's own (`/graphql`, or `/service/Auth` for `service-auth`). */
  path?: string
  signal?: AbortSignal
}

const ABSOLUTE_URL = /^[a-z][a-z\d+.-]*:/i

function isAbort (err: unknown): boolean {
  const name = (err as { name?: unknown } | null)?.name
  return name === 'AbortError' || name === 'TimeoutError'
}

/** Bodies fetch can send twice; a stream is used up by the first try. */
function isReplayable (body: RequestInit['body']): boolean {
  return body === undefined || body === null || typeof body === 'string' ||
    body instanceof URLSearchParams || body instanceof Blob || body instanceof ArrayBuffer || ArrayBuffer.isView(body) ||
    (typeof FormData !== 'undefined' && body instanceof FormData)
}

export class AuthgateClient {
  readonly baseUrl: string
  readonly surface: Surface
  private readonly store: TokenStore
  private readonly fetchImpl: typeof globalThis.fetch
  private readonly onSessionEnded: AuthgateClientOptions['onSessionEnded']
  private readonly now: () => number
  private readonly marginMs: number
  private readonly transport: Transport

  /** The refresh under way, shared by every call that needs it. */
  private refreshing: Promise<Tokens> | null = null
  /** Refreshes finished so far, successful or not. */
  private refreshesEnded = 0
  /** The last refresh, when it failed: calls that were already out with its token share its failure. */
  private failedRefresh: { stale: string, error: unknown, ended: number } | null = null
  /** Changes whenever this client starts or ends a session, so work begun for an older one never writes to the store. */
  private epoch = 0
  /** How the last session of this client ended, for calls made after it. */
  private ended: SessionEndedError | null = null
  /** Store writes, one after the other, so a slow write never lands after a newer one. */
  private writes: Promise<unknown> = Promise.resolve()

  constructor (options: AuthgateClientOptions) {
    if (typeof options.baseUrl !== 'string' || !ABSOLUTE_URL.test(options.baseUrl)) throw new TypeError('baseUrl must be an absolute URL, e.g. http://localhost:3000')
    this.baseUrl = options.baseUrl.replace(/\/+$/, '')
    this.surface = options.surface ?? 'rest'
    if (!Object.hasOwn(SURFACES, this.surface)) throw new TypeError(`unknown surface "${String(this.surface)}": use rest, graphql or service-auth`)
    this.store = options.store ?? new MemoryTokenStore()
    const fetchImpl = options.fetch ?? globalThis.fetch
    if (typeof fetchImpl !== 'function') throw new TypeError('no fetch available: pass options.fetch')
    this.fetchImpl = fetchImpl
    this.onSessionEnded = options.onSessionEnded
    const now = options.now ?? Date.now
    this.now = () => now()
    this.marginMs = (options.refreshMarginSeconds ?? 30) * 1000
    this.transport = {
      url: (path) => this.resolve(path),
      send: (url, init, accessToken) => this.send(url, init, accessToken),
      now: () => this.now()
    }
  }

  /**
   * Logs in on the client's surface and keeps the new session in the store,
   * in place of any earlier one (which stays live on the gateway until it
   * expires: log it out first to end it). `headerToken: true` (surface
   * `graphql` only) starts a header-token session instead: no refresh
   * token, the access token renewed by the gateway while in use.
   */
  async login (options: LoginOptions): Promise<void> {
    const { headerToken: wantsHeaderToken = false, ...credentials } = options
    if (wantsHeaderToken && this.surface !== 'graphql') {
      throw new TypeError(`headerToken: true logs in with /graphql's loginUser: use surface "graphql", not "${this.surface}"`)
    }
    const tokens = await (wantsHeaderToken ? HEADER_TOKENS : this.protocol()).login(this.transport, credentials)
    const epoch = ++this.epoch
    this.ended = null
    await this.write(epoch, tokens)
  }

  /** Whether the store holds a session (it may still be refused by the gateway). */
  async isLoggedIn (): Promise<boolean> {
    return (await this.read()) !== null
  }

  /** The user, as the surface describes it: REST `/auth/profile`, `/graphql` `me`, `/service/Auth` `validate`. */
  async profile (): Promise<Profile> {
    return this.withSession(async (accessToken) => await this.protocol().profile(this.transport, accessToken))
  }

  /**
   * fetch with the access token as bearer: a gateway path (`/auth/sessions`)
   * or the absolute URL of a service that accepts the gateway's tokens.
   * Answers come back as they are, except a 401, which is retried once after
   * a refresh (when the body can be sent again).
   */
  async fetch (input: string | URL, init: RequestInit = {}): Promise<Response> {
    const url = this.resolve(input)
    const replayable = isReplayable(init.body)
    return this.withSession(async (accessToken) => {
      const headers = new Headers(init.headers)
      headers.set('authorization', `Bearer ${accessToken}`)
      const res = await this.send(url, { ...init, headers }, accessToken)
      return {
        tokenRefused: res.status === 401 && replayable,
        settle: () => res,
        discard: () => { res.body?.cancel().catch(() => {}) }
      }
    })
  }

  /** A GraphQL operation with the access token as bearer; its `data`, or GraphQLResponseError when it has errors. */
  async graphql<T = Record<string, unknown>> (query: string, variables?: Record<string, unknown>, options: GraphQLCallOptions = {}): Promise<T> {
    const path = options.path ?? this.protocol().graphqlPath
    return this.withSession(async (accessToken) => {
      const answer = await graphqlRequest(this.transport, path, query, variables, accessToken, options.signal)
      return graphqlAttempt(answer, data => data as T)
    })
  }

  /**
   * Ends this session on the gateway and here. The store is cleared first,
   * so nothing uses the session any more; when the gateway cannot be told
   * (network, 429) the error is thrown and the session lives on there until
   * it expires.
   */
  async logout (): Promise<void> {
    const tokens = await this.read()
    const ended = await this.end('logged_out', 'Logged out')
    if (tokens === null) return
    if (ended) this.notify()
    await this.protocolOf(tokens).logout(this.transport, tokens)
  }

  /** Ends every session of the user, on every device, then this one here. */
  async logoutAll (): Promise<void> {
    const tokens = await this.read()
    const protocol = tokens !== null ? this.protocolOf(tokens) : this.protocol()
    await this.withSession(async (accessToken) => await protocol.logoutAll(this.transport, accessToken))
    if (await this.end('logged_out', 'Logged out of every session')) this.notify()
  }

  private protocol (): SurfaceProtocol {
    return SURFACES[this.surface]
  }

  /** A session is refreshed on the surface it was started on, whose refresh policy it keeps; a header-token session is not refreshed. */
  private protocolOf (tokens: Tokens): SurfaceProtocol {
    if (!isRefreshable(tokens)) return HEADER_TOKENS
    return SURFACES[tokens.surface !== undefined && Object.hasOwn(SURFACES, tokens.surface) ? tokens.surface : this.surface]
  }

  private resolve (input: string | URL): string {
    if (input instanceof URL) return input.href
    if (ABSOLUTE_URL.test(input)) return input
    return this.baseUrl + (input.startsWith('/') ? input : '/' + input)
  }

  private async send (url: string, init: RequestInit, accessToken?: string): Promise<Response> {
    // Called detached: browsers refuse a fetch called as a method of another object.
    const fetchImpl = this.fetchImpl
    let res: Response
    try {
      res = await fetchImpl(url, init)
    } catch (err) {
      if (isAbort(err)) throw err
      throw new NetworkError(`Could not reach ${new URL(url).origin}: ${(err as Error)?.message ?? String(err)}`, { cause: err })
    }
    if (accessToken !== undefined) {
      const renewed = res.headers.get('x-authorization')
      if (renewed !== null && new URL(url).origin === new URL(this.baseUrl).origin) await this.adoptRenewal(renewed, accessToken)
    }
    return res
  }

  /**
   * Runs a call with a live access token: refreshed first when it is about
   * to expire, and once more, then retried once, when the gateway refuses it.
   */
  private async withSession<T> (call: (accessToken: string) => Promise<Attempt<T>>): Promise<T> {
    const tokens = await this.liveTokens()
    const sent = this.refreshesEnded
    const first = await call(tokens.accessToken)
    if (!first.tokenRefused) return first.settle()
    first.discard?.()
    // A refresh of this token failed while the call was out (the gateway out
    // of reach, a 429): this call was one of those waiting for it, so it
    // shares the failure instead of trying again on its own.
    const failed = this.failedRefresh
    if (failed !== null && failed.stale === tokens.accessToken && failed.ended > sent) throw failed.error
    const fresh = await this.refreshedAfter(tokens.accessToken)
    return (await call(fresh.accessToken)).settle()
  }

  /** The session's tokens, refreshed ahead of time when the access token is about to expire. */
  private async liveTokens (): Promise<Tokens> {
    const tokens = await this.read()
    if (tokens === null) throw this.noSession()
    // A header-token session cannot be refreshed ahead: its calls to /graphql renew it, and the gateway judges its expiry.
    if (!isRefreshable(tokens)) return tokens
    const expiresAt = this.expiresAt(tokens)
    if (expiresAt === undefined || this.now() < expiresAt - this.marginFor(tokens)) return tokens
    try {
      return await this.refreshedAfter(tokens.accessToken)
    } catch (err) {
      // Refreshing early failed for a passing reason (network, rate limit, server error):
      // the token still works until it expires, so use it.
      if (!(err instanceof SessionEndedError) && this.now() < expiresAt) return tokens
      throw err
    }
  }

  /**
   * Tokens newer than `stale`. The first caller starts the refresh; every
   * caller that comes while it runs waits for the same one.
   */
  private async refreshedAfter (stale: string): Promise<Tokens> {
    const tokens = await this.joinRefresh(stale)
    // The refresh joined was started for an older token and found `stale`
    // already in the store: `stale` itself still needs refreshing.
    if (tokens.accessToken === stale) return this.joinRefresh(stale)
    return tokens
  }

  private joinRefresh (stale: string): Promise<Tokens> {
    if (this.refreshing === null) {
      const refreshing = this.refresh(stale).then((tokens) => {
        this.failedRefresh = null
        return tokens
      }, (error: unknown) => {
        this.failedRefresh = { stale, error, ended: this.refreshesEnded + 1 }
        throw error
      }).finally(() => {
        this.refreshesEnded++
        if (this.refreshing === refreshing) this.refreshing = null
      })
      this.refreshing = refreshing
    }
    return this.refreshing
  }

  private async refresh (stale: string): Promise<Tokens> {
    const epoch = this.epoch
    const current = await this.read()
    if (current === null) throw this.noSession()
    // Refreshed meanwhile, by another call of this client, another tab or another process sharing the store.
    if (current.accessToken !== stale) return current
    if (!isRefreshable(current)) {
      // The gateway refused the token of a header-token session and nothing else can get another: the session is over.
      const expired = this.now() >= (this.expiresAt(current) ?? Infinity)
      const message = expired
        ? 'The access token expired without being renewed and a header-token session has no refresh token; log in again'
        : 'The gateway refused the access token and a header-token session has no refresh token; log in again'
      if (await this.end('token_refused', message, {}, epoch)) this.notify()
      throw this.noSession()
    }
    let next: Tokens
    try {
      next = await this.protocolOf(current).refresh(this.transport, current)
    } catch (err) {
      if (!(err instanceof RefreshRefused)) throw err
      if (await this.end('refresh_refused', err.message, { status: err.status, code: err.code, body: err.body }, epoch)) this.notify()
      throw this.noSession()
    }
    // The new tokens are stored before any caller retries: with REST's rotation the old refresh token is now retired.
    if (!await this.write(epoch, next)) throw this.noSession()
    return next
  }

  /** Takes a token the gateway renewed in X-Authorization, if it renews the one the session holds. */
  private async adoptRenewal (header: string, sent: string): Promise<void> {
    const renewed = headerToken(header)
    if (renewed === undefined || renewed === sent) return
    await this.enqueue(async () => {
      const current = await this.read()
      if (current === null || current.accessToken !== sent) return
      const expiresAt = localExpiry(renewed, this.now())
      const { expiresAt: _old, ...rest } = current
      await this.store.set({ ...rest, accessToken: renewed, ...(expiresAt !== undefined ? { expiresAt } : {}) })
    })
  }

  private async read (): Promise<Tokens | null> {
    const value = await this.store.get()
    return isTokens(value) ? value : null
  }

  private enqueue<T> (task: () => Promise<T> | T): Promise<T> {
    const run = this.writes.then(task)
    this.writes = run.catch(() => {})
    return run
  }

  /** Stores the tokens unless the session changed since `epoch`; whether they were stored. */
  private write (epoch: number, tokens: Tokens): Promise<boolean> {
    return this.enqueue(async () => {
      if (epoch !== this.epoch) return false
      await this.store.set(tokens)
      return true
    })
  }

  /**
   * Ends the session: clears the store and records why, for every call that
   * comes after. False when the session had already changed since `epoch`
   * (ended or replaced), so its end is reported once.
   */
  private async end (reason: SessionEndReason, message: string, details: ConstructorParameters<typeof SessionEndedError>[2] = {}, epoch = this.epoch): Promise<boolean> {
    if (epoch !== this.epoch) return false
    this.epoch++
    this.ended = new SessionEndedError(reason, message, details)
    await this.enqueue(() => this.store.set(null))
    return true
  }

  /** The error for a call that finds no session. */
  private noSession (): SessionEndedError {
    const ended = this.ended
    if (ended === null) return new SessionEndedError('not_logged_in', 'Not logged in')
    return new SessionEndedError(ended.reason, ended.message, { status: ended.status, code: ended.code, body: ended.body })
  }

  private notify (): void {
    const callback = this.onSessionEnded
    const ended = this.ended
    if (callback === undefined || ended === null) return
    try {
      callback(ended.reason, ended)
    } catch (err) {
      // A failing callback must not change what the calls see; report it as an uncaught error.
      const report = (globalThis as { reportError?: (err: unknown) => void }).reportError
      if (typeof report === 'function') report(err)
      else queueMicrotask(() => { throw err })
    }
  }

  /** When the access token expires in this client's clock. */
  private expiresAt (tokens: Tokens): number | undefined {
    if (typeof tokens.expiresAt === 'number') return tokens.expiresAt
    const exp = jwtPayload(tokens.accessToken)?.exp
    return typeof exp === 'number' ? exp * 1000 : undefined
  }

  /** How long before its expiry a token is refreshed: the margin, or a quarter of the time the client counts it valid. */
  private marginFor (tokens: Tokens): number {
    const lifetime = lifetimeSeconds(tokens.accessToken)
    if (lifetime === undefined) return this.marginMs
    return Math.min(this.marginMs, (localExpiry(tokens.accessToken, 0) as number) / 4)
  }
}

// The tokens of one session and where they are kept. Stores are pluggable:
// memory by default, localStorage in a browser, a file for a CLI.

/** The three ways into the gateway. */
export type Surface = 'rest' | 'graphql' | 'service-auth'

/**
 * A session: either one with a refresh token, or a header-token session
 * (`login({ ..., headerToken: true })`, /graphql's loginUser), which has
 * none: the gateway renews its access token in X-Authorization while /graphql
 * calls use it, and it is over once that token is refused. The marker says
 * so in the store, so a session that lost its refresh token is not taken for
 * one.
 */
export type Tokens = RefreshableTokens | HeaderTokens

export interface RefreshableTokens extends SessionTokens {
  refreshToken: string
  headerToken?: undefined
}

export interface HeaderTokens extends SessionTokens {
  refreshToken?: undefined
  headerToken: true
}

interface SessionTokens {
  accessToken: string
  /**
   * The surface the session was started on. A session keeps the refresh
   * policy of its login (REST rotates, the GraphQL surfaces do not), so it
   * is always refreshed there.
   */
  surface?: Surface
  /**
   * When the access token expires, in the client's own clock (ms since the
   * epoch): the token's lifetime counted from the moment it arrived, so a
   * client whose clock is off still refreshes on time.
   */
  expiresAt?: number
}

/** Where a client keeps its session. Either method may return a promise. */
export interface TokenStore {
  get (): Tokens | null | Promise<Tokens | null>
  set (tokens: Tokens | null): void | Promise<void>
}

/** Keeps the session in memory: it ends with the page or the process. */
export class MemoryTokenStore implements TokenStore {
  private tokens: Tokens | null

  constructor (initial: Tokens | null = null) {
    this.tokens = initial
  }

  get (): Tokens | null {
    return this.tokens
  }

  set (tokens: Tokens | null): void {
    this.tokens = tokens
  }
}

export function isRefreshable (tokens: Tokens): tokens is RefreshableTokens {
  return tokens.headerToken !== true
}

/** Whether a value read back from a store is a usable session: a refresh token, or the header-token marker, never both. */
export function isTokens (value: unknown): value is Tokens {
  const t = value as { accessToken?: unknown, refreshToken?: unknown, headerToken?: unknown } | null
  if (typeof t !== 'object' || t === null || typeof t.accessToken !== 'string' || t.accessToken === '') return false
  if (t.headerToken === true) return t.refreshToken === undefined
  return t.headerToken === undefined && typeof t.refreshToken === 'string' && t.refreshToken !== ''
}

/** The payload of a JWT, read without verifying it (the gateway verifies); null when it is not one. */
export function jwtPayload (token: string): Record<string, unknown> | null {
  const part = token.split('.')[1]
  if (part === undefined) return null
  try {
    const base64 = part.replace(/-/g, '+').replace(/_/g, '/')
    const binary = atob(base64 + '='.repeat((4 - base64.length % 4) % 4))
    const bytes = Uint8Array.from(binary, c => c.charCodeAt(0))
    const payload = JSON.parse(new TextDecoder().decode(bytes)) as unknown
    return typeof payload === 'object' && payload !== null ? payload as Record<string, unknown> : null
  } catch {
    return null
  }
}

/** Seconds an access token lives: `exp - iat` from the token, else the `expiresIn` the gateway sent beside it. */
export function lifetimeSeconds (accessToken: string, expiresIn?: number): number | undefined {
  const payload = jwtPayload(accessToken)
  const exp = payload?.exp
  const iat = payload?.iat
  if (typeof exp === 'number' && typeof iat === 'number' && exp > iat) return exp - iat
  return typeof expiresIn === 'number' && expiresIn > 0 ? expiresIn : undefined
}

/**
 * When a token that arrived `now` expires, in the receiver's clock. `iat`
 * and `exp` are whole seconds, so the token may have been issued up to a
 * second before it arrived: count its lifetime from a second earlier.
 */
export function localExpiry (accessToken: string, now: number, expiresIn?: number): number | undefined {
  const lifetime = lifetimeSeconds(accessToken, expiresIn)
  if (lifetime === undefined) return undefined
  return now + (lifetime - Math.min(1, lifetime / 2)) * 1000
}

/** Tokens as they arrive from the gateway, stamped with the local expiry; `undefined` for a header-token session's refresh token. */
export function receivedTokens (surface: Surface, accessToken: string, refreshToken: string | undefined, now: number, expiresIn?: number): Tokens {
  const expiresAt = localExpiry(accessToken, now, expiresIn)
  const expiry = expiresAt !== undefined ? { expiresAt } : {}
  return refreshToken !== undefined
    ? { accessToken, refreshToken, surface, ...expiry }
    : { accessToken, headerToken: true, surface, ...expiry }
}

// What the client throws. Every error is an AuthgateError; the subclasses are
// the cases a caller handles differently: go to the login page
// (SessionEndedError), wait (RateLimitedError), try again later
// (NetworkError), or read the GraphQL errors (GraphQLResponseError).

export interface AuthgateErrorDetails {
  /** HTTP status of the answer, when there was one. */
  status?: number | undefined
  /** The surface's error code when it gives one (`extensions.code` on GraphQL). */
  code?: string | undefined
  /** The parsed body of the answer, when it was JSON. */
  body?: unknown
  cause?: unknown
}

export class AuthgateError extends Error {
  override name = 'AuthgateError'
  readonly status: number | undefined
  readonly code: string | undefined
  readonly body: unknown

  constructor (message: string, details: AuthgateErrorDetails = {}) {
    super(message, details.cause !== undefined ? { cause: details.cause } : undefined)
    this.status = details.status
    this.code = details.code
    this.body = details.body
  }
}

/**
 * Why a session is over:
 * - `refresh_refused`: the gateway refused to refresh it (logged out on
 *   another device, session expired or too old, account disabled, refresh
 *   token reused); the gateway's message is the error's message;
 * - `token_refused`: the gateway refused the access token of a header-token
 *   session, which has no refresh token to get another (the token expired
 *   without being renewed, or the session was ended elsewhere);
 * - `logged_out`: `logout()` or `logoutAll()` on this client;
 * - `not_logged_in`: there is no session in the store (never logged in, or
 *   cleared elsewhere, for example by another tab).
 */
export type SessionEndReason = 'refresh_refused' | 'token_refused' | 'logged_out' | 'not_logged_in'

/** The session is over: log in again. The store has been cleared. */
export class SessionEndedError extends AuthgateError {
  override name = 'SessionEndedError'
  readonly reason: SessionEndReason

  constructor (reason: SessionEndReason, message: string, details: AuthgateErrorDetails = {}) {
    super(message, details)
    this.reason = reason
  }
}

/** A 429: nothing was done; try again after `retryAfter` seconds (null when the gateway did not say). */
export class RateLimitedError extends AuthgateError {
  override name = 'RateLimitedError'
  readonly retryAfter: number | null

  constructor (message: string, retryAfter: number | null, details: AuthgateErrorDetails = {}) {
    super(message, { status: 429, ...details })
    this.retryAfter = retryAfter
  }
}

/** No answer at all (connection refused or cut, DNS, CORS). The session is kept as it was. */
export class NetworkError extends AuthgateError {
  override name = 'NetworkError'
}

export interface GraphQLErrorEntry {
  message: string
  path?: ReadonlyArray<string | number>
  extensions?: { code?: string, [key: string]: unknown }
  [key: string]: unknown
}

/** A GraphQL answer with errors. `data` holds whatever part succeeded. */
export class GraphQLResponseError extends AuthgateError {
  override name = 'GraphQLResponseError'
  readonly errors: GraphQLErrorEntry[]
  readonly data: unknown

  constructor (errors: GraphQLErrorEntry[], data: unknown, details: AuthgateErrorDetails = {}) {
    super(errors[0]?.message ?? 'GraphQL request failed', { code: errors[0]?.extensions?.code, ...details })
    this.errors = errors
    this.data = data
  }
}

/** Seconds to wait from a Retry-After header (delay-seconds or an HTTP date); null when absent or unreadable. */
export function retryAfterSeconds (header: string | null, now: number = Date.now()): number | null {
  if (header === null || header.trim() === '') return null
  const value = header.trim()
  if (/^\d+$/.test(value)) return Number(value)
  const date = Date.parse(value)
  if (Number.isNaN(date)) return null
  return Math.max(0, Math.ceil((date - now) / 1000))
}

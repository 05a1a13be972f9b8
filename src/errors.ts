// The one catalogue of failures the services raise. Each surface maps these
// codes to its own error shape; the codes are stable, do not rename them.
export const ErrorCodes = {
  BAD_REQUEST: { status: 400, message: 'Bad request' },
  INVALID_CREDENTIALS: { status: 401, message: 'Invalid credentials' },
  UNAUTHENTICATED: { status: 401, message: 'Authentication required' },
  TOKEN_EXPIRED: { status: 401, message: 'Token expired' },
  INVALID_REFRESH_TOKEN: { status: 401, message: 'Invalid or expired refresh token' },
  /** The session reached its absolute lifetime or its idle timeout: only a new login helps. */
  SESSION_EXPIRED: { status: 401, message: 'Session expired; log in again' },
  /** A refresh token presented to the refresh operation of another policy (rotating vs. reusable). */
  WRONG_REFRESH_ENDPOINT: { status: 401, message: 'This refresh token is exchanged at another endpoint' },
  ACCOUNT_DISABLED: { status: 403, message: 'Account disabled' },
  FORBIDDEN: { status: 403, message: 'Forbidden' },
  NOT_FOUND: { status: 404, message: 'Not found' },
  CONFLICT: { status: 409, message: 'Conflict' },
  /** A client IP went over a per-IP rate limit. */
  RATE_LIMITED: { status: 429, message: 'Too many requests' },
  /** An account (or one client's attempts at it) must wait after failed logins. */
  TOO_MANY_ATTEMPTS: { status: 429, message: 'Too many failed logins; try again later' },
  UNAVAILABLE: { status: 503, message: 'Service unavailable' }
} as const

export type ErrorCode = keyof typeof ErrorCodes

export class AuthError extends Error {
  override name = 'AuthError'
  readonly code: ErrorCode
  readonly statusCode: number
  /** Seconds the client should wait before trying again (sent as Retry-After). */
  readonly retryAfter: number | undefined

  constructor (code: ErrorCode, message: string = ErrorCodes[code].message, options: { retryAfter?: number } = {}) {
    super(message)
    this.code = code
    this.statusCode = ErrorCodes[code].status
    this.retryAfter = options.retryAfter
  }
}

export function isAuthError (err: unknown): err is AuthError {
  return err instanceof AuthError
}

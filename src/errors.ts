// The one catalogue of failures the services raise. Each surface maps these
// codes to its own error shape; the codes are stable, do not rename them.
export const ErrorCodes = {
  BAD_REQUEST: { status: 400, message: 'Bad request' },
  INVALID_CREDENTIALS: { status: 401, message: 'Invalid credentials' },
  UNAUTHENTICATED: { status: 401, message: 'Authentication required' },
  TOKEN_EXPIRED: { status: 401, message: 'Token expired' },
  INVALID_REFRESH_TOKEN: { status: 401, message: 'Invalid or expired refresh token' },
  ACCOUNT_DISABLED: { status: 403, message: 'Account disabled' },
  FORBIDDEN: { status: 403, message: 'Forbidden' },
  NOT_FOUND: { status: 404, message: 'Not found' },
  CONFLICT: { status: 409, message: 'Conflict' },
  UNAVAILABLE: { status: 503, message: 'Service unavailable' }
} as const

export type ErrorCode = keyof typeof ErrorCodes

export class AuthError extends Error {
  override name = 'AuthError'
  readonly code: ErrorCode
  readonly statusCode: number

  constructor (code: ErrorCode, message: string = ErrorCodes[code].message) {
    super(message)
    this.code = code
    this.statusCode = ErrorCodes[code].status
  }
}

export function isAuthError (err: unknown): err is AuthError {
  return err instanceof AuthError
}

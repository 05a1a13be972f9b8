// How /graphql words failures, in the NextSchool (Apollo-style) shape:
// extensions.code UNAUTHENTICATED with "Authentication required" for any
// missing, invalid or expired access token, FORBIDDEN, BAD_USER_INPUT,
// RATE_LIMITED (per-IP limits and login throttling alike), and the exact
// messages "Invalid credentials" and "Invalid or expired refresh token". A
// session too old, or a refresh token of a REST session, is UNAUTHENTICATED
// with a message saying what to do instead.
import type { ErrorCode } from '../../errors.js'
import type { Failure } from '../failures.js'
import { makeErrorFormatter, type FormatterOptions, type Worded } from '../formatter.js'

function wordAuthCode (code: ErrorCode, message: string): Worded {
  switch (code) {
    case 'UNAUTHENTICATED':
    case 'TOKEN_EXPIRED':
      return { message: 'Authentication required', code: 'UNAUTHENTICATED', status: 401 }
    case 'INVALID_CREDENTIALS':
      return { message: 'Invalid credentials', code: 'UNAUTHENTICATED', status: 401 }
    case 'INVALID_REFRESH_TOKEN':
      return { message: 'Invalid or expired refresh token', code: 'UNAUTHENTICATED', status: 401 }
    // Refused refreshes that a new login, or another endpoint, would fix: the message says which.
    case 'SESSION_EXPIRED':
    case 'WRONG_REFRESH_ENDPOINT':
      return { message, code: 'UNAUTHENTICATED', status: 401 }
    case 'ACCOUNT_DISABLED':
    case 'FORBIDDEN':
      return { message, code: 'FORBIDDEN', status: 403 }
    case 'BAD_REQUEST':
      return { message, code: 'BAD_USER_INPUT', status: 400 }
    case 'NOT_FOUND':
      return { message, code: 'NOT_FOUND', status: 404 }
    case 'CONFLICT':
      return { message, code: 'CONFLICT', status: 409 }
    case 'UNAVAILABLE':
      return { message, code: 'SERVICE_UNAVAILABLE', status: 503 }
    case 'RATE_LIMITED':
    case 'TOO_MANY_ATTEMPTS':
      return { message, code: 'RATE_LIMITED', status: 429 }
  }
}

export function wordNextSchoolFailure (failure: Failure): Worded {
  switch (failure.kind) {
    case 'auth':
      return wordAuthCode(failure.error.code, failure.error.message)
    case 'syntax':
      return { message: failure.message, code: 'GRAPHQL_PARSE_FAILED', status: 400 }
    case 'validation':
      return { message: failure.message, code: failure.argument ? 'BAD_USER_INPUT' : 'GRAPHQL_VALIDATION_FAILED', status: 400 }
    case 'request':
      return { message: failure.message, code: 'BAD_REQUEST', status: failure.status }
    case 'internal':
      return { message: 'Internal server error', code: 'INTERNAL_SERVER_ERROR', status: 500 }
  }
}

export const nextSchoolErrorFormatter = (options: FormatterOptions) => makeErrorFormatter(wordNextSchoolFailure, options)

// How /service/Auth words failures. Codes of the shared catalogue pass
// through with their honest statuses; an expired access token keeps
// CollectiveAccess's message and is flagged expiredToken by the envelope.
import type { Failure } from '../failures.js'
import { makeErrorFormatter, type FormatterOptions, type Worded } from '../formatter.js'

export const EXPIRED_TOKEN_CODE = 'TOKEN_EXPIRED'

export function wordServiceAuthFailure (failure: Failure): Worded {
  switch (failure.kind) {
    case 'auth':
      if (failure.error.code === 'TOKEN_EXPIRED') return { message: 'Expired token', code: EXPIRED_TOKEN_CODE, status: 401 }
      return { message: failure.error.message, code: failure.error.code, status: failure.error.statusCode }
    case 'syntax':
      return { message: failure.message, code: 'GRAPHQL_PARSE_FAILED', status: 400 }
    case 'validation':
      return { message: failure.message, code: 'GRAPHQL_VALIDATION_FAILED', status: 400 }
    case 'request':
      return { message: failure.message, code: 'BAD_REQUEST', status: failure.status }
    case 'internal':
      return { message: 'Internal server error', code: 'INTERNAL_SERVER_ERROR', status: 500 }
  }
}

export const serviceAuthErrorFormatter = (options: FormatterOptions) => makeErrorFormatter(wordServiceAuthFailure, options)

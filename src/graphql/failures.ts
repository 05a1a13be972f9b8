// Sorts whatever Mercurius hands an error formatter into a few kinds of
// failure, so each surface can word them in its own shape. Mercurius passes
// resolver errors wrapped in GraphQLError, and request-level errors (parse,
// validation, malformed body) as one error whose `errors` holds the details.
import { GraphQLError, type SourceLocation } from 'graphql'
import { isAuthError, type AuthError } from '../errors.js'
import { databaseUnavailable, isDatabaseUnavailable } from '../storage/unavailable.js'

export type Failure =
  /** A failure from the services' catalogue (src/errors.ts); `outage` is the database's error when it was unavailable. */
  | { kind: 'auth', error: AuthError, outage?: unknown }
  /** The query text is not GraphQL. */
  | { kind: 'syntax', message: string }
  /** The query does not fit the schema; `argument` when an argument or variable is missing or of the wrong type. */
  | { kind: 'validation', message: string, argument: boolean }
  /** The HTTP request itself is unusable: malformed JSON, wrong media type, too large, no query. */
  | { kind: 'request', message: string, status: number }
  /** A fault of ours; the details go to the log, never to the client. */
  | { kind: 'internal', cause: unknown }

export interface LocatedFailure {
  failure: Failure
  locations?: readonly SourceLocation[] | undefined
  path?: ReadonlyArray<string | number> | undefined
}

const ARGUMENT_PROBLEM = /\bargument\b|^Variable "\$|cannot represent|^Expected value of type/i

function fromGraphQLError (error: GraphQLError): LocatedFailure {
  const where = { locations: error.locations, path: error.path }
  const cause = error.originalError
  if (cause === undefined || cause === null || cause instanceof GraphQLError) {
    if (error.message.startsWith('Syntax Error')) return { failure: { kind: 'syntax', message: error.message }, ...where }
    // graphql-js reports schema mismatches and variable coercion without a cause;
    // a null in a non-null field is the only execution fault it reports that way.
    if (error.path !== undefined && !/^Variable "\$/.test(error.message)) return { failure: { kind: 'internal', cause: error }, ...where }
    return { failure: { kind: 'validation', message: error.message, argument: ARGUMENT_PROBLEM.test(error.message) }, ...where }
  }
  return { ...fromCause(cause), ...where }
}

function fromCause (cause: unknown): LocatedFailure {
  if (isAuthError(cause)) return { failure: { kind: 'auth', error: cause } }
  if (isDatabaseUnavailable(cause)) return { failure: { kind: 'auth', error: databaseUnavailable(), outage: cause } }
  const status = (cause as { statusCode?: unknown }).statusCode
  if (cause instanceof Error && typeof status === 'number' && status >= 400 && status < 500) {
    return { failure: { kind: 'request', message: cause.message, status } }
  }
  return { failure: { kind: 'internal', cause } }
}

/** One entry per error the client should see, in order. */
export function locateFailures (errors: readonly GraphQLError[]): LocatedFailure[] {
  const located: LocatedFailure[] = []
  for (const error of errors) {
    const inner = (error.originalError as { errors?: unknown } | undefined)?.errors
    if (Array.isArray(inner) && inner.length > 0) {
      // Request-level: the wrapper's status applies to details that are not GraphQL errors.
      const status = (error.originalError as { statusCode?: number }).statusCode ?? 400
      for (const detail of inner) {
        if (detail instanceof GraphQLError) located.push(fromGraphQLError(detail))
        else located.push({ failure: { kind: 'request', message: (detail as Error).message, status } })
      }
    } else {
      located.push(fromGraphQLError(error))
    }
  }
  return located
}

/**
 * The HTTP status of a response that carries errors. When any root field
 * produced a value the request partly succeeded: 200. Otherwise the first
 * error's status, so clients and proxies see an honest 4xx.
 */
export function responseStatus (data: unknown, statuses: readonly number[]): number {
  const produced = typeof data === 'object' && data !== null && Object.values(data).some(v => v !== null && v !== undefined)
  if (produced) return 200
  return statuses[0] ?? 200
}

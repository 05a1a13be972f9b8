// Builds a Mercurius errorFormatter from a surface's wording of failures.
// Mercurius lets the formatter choose the HTTP status even when `data` is
// present; responseStatus decides it the same way on every surface.
import type { ExecutionResult, GraphQLError } from 'graphql'
import type { FastifyBaseLogger } from 'fastify'
import { locateFailures, responseStatus, type Failure } from './failures.js'

/** How a surface words one failure. */
export interface Worded {
  message: string
  code: string
  status: number
}

export interface FormattedError {
  message: string
  locations?: ReadonlyArray<{ line: number, column: number }>
  path?: ReadonlyArray<string | number>
  extensions: { code: string }
}

interface FormatterContext {
  reply?: { log: FastifyBaseLogger, header (name: string, value: number): unknown }
  app: { log: FastifyBaseLogger }
}

export interface FormatterOptions {
  /**
   * Drop graphql-js's "Did you mean …?" hints from validation messages: with
   * introspection off they would spell out the schema field by field.
   */
  hideSuggestions: boolean
  /** Hears once of each request the database failed (the outage log: counted, logged once, summarised). */
  onDatabaseUnavailable?: ((err: unknown) => void) | undefined
}

const SUGGESTION = / Did you mean [^]*\?$/

export function makeErrorFormatter (word: (failure: Failure) => Worded, { hideSuggestions, onDatabaseUnavailable }: FormatterOptions) {
  return function formatErrors (execution: ExecutionResult & { errors: readonly GraphQLError[] }, context: FormatterContext) {
    const log = context.reply?.log ?? context.app.log
    const statuses: number[] = []
    const failures = locateFailures(execution.errors)
    const outage = failures.find(({ failure }) => failure.kind === 'auth' && failure.outage !== undefined)
    if (outage !== undefined && outage.failure.kind === 'auth') onDatabaseUnavailable?.(outage.failure.outage)
    const errors: FormattedError[] = failures.map(({ failure, locations, path }) => {
      if (failure.kind === 'internal') log.error({ err: failure.cause }, 'GraphQL request failed')
      if (failure.kind === 'auth' && failure.error.retryAfter !== undefined) context.reply?.header('retry-after', failure.error.retryAfter)
      const worded = word(failure)
      const { code, status } = worded
      const message = hideSuggestions && failure.kind === 'validation' ? worded.message.replace(SUGGESTION, '') : worded.message
      statuses.push(status)
      return {
        message,
        ...(locations !== undefined && locations.length > 0 ? { locations } : {}),
        ...(path !== undefined ? { path } : {}),
        extensions: { code }
      }
    })
    const data = execution.data ?? null
    return { statusCode: responseStatus(data, statuses), response: { data, errors } }
  }
}

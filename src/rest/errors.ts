// Maps the error catalogue, Fastify's own errors and anything unexpected to
// the REST shape {statusCode, error, message}.
import type { FastifyInstance, FastifyError } from 'fastify'
import { isAuthError } from '../errors.js'
import { errorBody } from '../http/error-body.js'
import { databaseUnavailable, isDatabaseUnavailable } from '../storage/unavailable.js'

/** `onDatabaseUnavailable` hears of each request the database failed (the outage log: counted, logged once, summarised). */
export function registerRestErrors (app: FastifyInstance, onDatabaseUnavailable: (err: unknown) => void = () => {}): void {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (isDatabaseUnavailable(err)) {
      onDatabaseUnavailable(err)
      const failure = databaseUnavailable()
      return reply.code(failure.statusCode).send(errorBody(failure.statusCode, failure.message))
    }
    if (isAuthError(err)) {
      if (err.statusCode === 401) reply.header('www-authenticate', 'Bearer')
      if (err.retryAfter !== undefined) reply.header('retry-after', err.retryAfter)
      return reply.code(err.statusCode).send(errorBody(err.statusCode, err.message))
    }
    const status = err.statusCode
    if (status !== undefined && status >= 400 && status < 500) {
      return reply.code(status).send(errorBody(status, err.message))
    }
    if (status === 503) return reply.code(503).send(errorBody(503, 'Service temporarily unavailable'))
    request.log.error({ err }, 'request failed')
    return reply.code(500).send(errorBody(500, 'Internal server error'))
  })

  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send(errorBody(404, `Cannot ${request.method} ${request.url.split('?')[0]}`))
  })
}

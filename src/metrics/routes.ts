// Feeds the metrics from every answered request and serves them to
// Prometheus at /metrics, behind a bearer token when METRICS_TOKEN is set.
import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { bearerToken } from '../http/access-tokens.js'
import { ErrorBody, errorBody } from '../http/error-body.js'
import type { Metrics } from './metrics.js'

/** Requests matching no route share one label, so scanners cannot grow the series without bound. */
const UNMATCHED = 'unmatched'

declare module 'fastify' {
  interface FastifyRequest {
    /** When the request reached the metrics' onRequest hook, from performance.now(), ms. */
    receivedAt: number
  }
}

const digest = (value: string) => createHash('sha256').update(value).digest()

/** Registers on the root instance, before the routes, so the hook sees every route. */
export function registerMetrics (app: FastifyInstance, metrics: Metrics, token: string | undefined): void {
  // Timed from this onRequest hook (the root's hooks before it never answer, so
  // it runs for every request) to the answer's onSend, where every answer passes.
  // Not an onResponse hook: with one, Fastify listens for each answer's `finish`
  // (5,040 of a forward-auth request's 68,300 instructions, callgrind).
  // Callbacks, as they never wait: no promise on every request.
  app.decorateRequest('receivedAt', 0)
  app.addHook('onRequest', (request, _reply, done) => {
    request.receivedAt = performance.now()
    done()
  })
  app.addHook('onSend', (request, reply, payload, done) => {
    metrics.observeRequest(request.method, request.routeOptions.url ?? UNMATCHED, reply.statusCode, (performance.now() - request.receivedAt) / 1000)
    done(null, payload)
  })

  const expected = token !== undefined ? digest(token) : undefined
  app.get('/metrics', {
    logLevel: 'warn',
    schema: {
      summary: 'Prometheus metrics (text exposition format); needs METRICS_TOKEN as a bearer token when it is set',
      // Documented the same whatever this instance's settings: the token is optional.
      security: [{ metricsToken: [] }, {}],
      response: {
        200: { description: 'The metrics', content: { 'text/plain': { schema: { type: 'string' } } } },
        401: { ...ErrorBody, description: 'METRICS_TOKEN is set and the request does not carry it' }
      }
    }
  }, async (request, reply) => {
    if (expected !== undefined) {
      const presented = bearerToken(request.headers.authorization)
      // Compared as digests: constant time whatever the presented length.
      if (presented === undefined || !timingSafeEqual(digest(presented), expected)) {
        return reply.code(401).header('www-authenticate', 'Bearer realm="metrics"')
          .send(errorBody(401, 'A valid metrics token is required'))
      }
    }
    const body = await metrics.registry.metrics()
    return reply.header('content-type', metrics.registry.contentType).send(body)
  })
}

// Feeds the metrics from every answered request and serves them to
// Prometheus at /metrics, behind a bearer token when METRICS_TOKEN is set.
import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { bearerToken } from '../http/access-tokens.js'
import { ErrorBody, errorBody } from '../http/error-body.js'
import type { Metrics } from './metrics.js'

/** Requests matching no route share one label, so scanners cannot grow the series without bound. */
const UNMATCHED = 'unmatched'

const digest = (value: string) => createHash('sha256').update(value).digest()

/** Registers on the root instance, before the routes, so the hook sees every route. */
export function registerMetrics (app: FastifyInstance, metrics: Metrics, token: string | undefined): void {
  app.addHook('onResponse', (request, reply, done) => {
    metrics.observeRequest(request.method, request.routeOptions.url ?? UNMATCHED, reply.statusCode, reply.elapsedTime / 1000)
    done()
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

// Probes for the load balancer and the container HEALTHCHECK.
import type { FastifyPluginAsync } from 'fastify'

export const healthRoutes: FastifyPluginAsync<{ ping: () => Promise<void> }> = async (app, { ping }) => {
  app.get('/live', { logLevel: 'warn' }, async () => ({ status: 'ok' }))

  app.get('/ready', { logLevel: 'warn' }, async (request, reply) => {
    try {
      await ping()
      return { status: 'ok', database: 'up' }
    } catch (err) {
      request.log.warn({ err }, 'database not reachable')
      return reply.code(503).send({ status: 'unavailable', database: 'down' })
    }
  })
}

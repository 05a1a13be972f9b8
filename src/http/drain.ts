import type { FastifyInstance } from 'fastify'

/**
 * While the server closes, answers still in flight ask the client to close
 * its keep-alive connection; otherwise those sockets would hold the process
 * open until their keep-alive timeout, long after the last request.
 */
export function closeConnectionsWhileDraining (app: FastifyInstance): void {
  let draining = false
  app.addHook('preClose', async () => { draining = true })
  // A callback, as it never waits: no promise on every answer.
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (draining) reply.header('connection', 'close')
    done(null, payload)
  })
}

// Both endpoints take POST only: every operation carries a password or a
// token, and GET would put them in URLs, logs and browser history.
import type { FastifyReply, FastifyRequest } from 'fastify'

/** An onRequest hook answering 405 to anything but POST (and OPTIONS, for CORS) on `endpoint`. */
export function postOnly (endpoint: string, body: (message: string) => unknown) {
  return async function refuseOtherMethods (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
    if (request.routeOptions.url !== endpoint || request.method === 'POST' || request.method === 'OPTIONS') return undefined
    return reply.code(405).header('allow', 'POST, OPTIONS').send(body(`${request.method} is not allowed: send the query in a POST body`))
  }
}

import type { FastifyRequest } from 'fastify'
import type { ClientInfo } from '../tokens/token-service.js'

/** What a session records about the client; `request.ip` honours TRUST_PROXY. */
export function clientInfo (request: FastifyRequest): ClientInfo {
  return { userAgent: request.headers['user-agent'], ip: request.ip }
}

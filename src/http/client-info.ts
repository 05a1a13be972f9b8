import type { FastifyRequest } from 'fastify'
import type { ClientInfo } from '../audit/audit-record.js'

/** What a session and the audit trail record about the client; `request.ip` honours TRUST_PROXY. */
export function clientInfo (request: FastifyRequest): ClientInfo {
  return { userAgent: request.headers['user-agent'], ip: request.ip }
}

// CollectiveAccess bodies start with "ok" (false whenever errors is
// non-empty), and an expired-token error carries "expiredToken": true beside
// its message. Mercurius's response schema drops keys added any earlier, so
// both are added to the serialized body here, in onSend.
import type { FastifyReply, FastifyRequest } from 'fastify'
import { EXPIRED_TOKEN_CODE } from './errors.js'

type JsonObject = Record<string, unknown>

function flagExpired (error: unknown): unknown {
  const code = (error as { extensions?: { code?: unknown } } | null)?.extensions?.code
  return code === EXPIRED_TOKEN_CODE ? { ...(error as JsonObject), expiredToken: true } : error
}

/** The body with "ok" first, then errors (when any), then data. */
export function envelope (body: JsonObject): JsonObject {
  const { errors, data = null, ...rest } = body
  if (!Array.isArray(errors)) return { ok: true, data, ...rest }
  return { ok: errors.length === 0, errors: errors.map(flagExpired), data, ...rest }
}

export function okEnvelope (endpoint: string) {
  return async function addOk (request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> {
    if (request.routeOptions.url !== endpoint || typeof payload !== 'string' || payload === '') return payload
    if (!String(reply.getHeader('content-type') ?? '').startsWith('application/json')) return payload
    let body: unknown
    try {
      body = JSON.parse(payload)
    } catch {
      return payload
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return payload
    return JSON.stringify(envelope(body as JsonObject))
  }
}

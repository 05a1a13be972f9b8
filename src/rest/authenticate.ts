import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import { AuthError } from '../errors.js'
import { bearerToken } from '../http/bearer.js'
import type { AccessClaims } from '../tokens/access-tokens.js'
import type { Services } from '../services.js'
import type { TokenService } from '../tokens/token-service.js'

declare module 'fastify' {
  interface FastifyRequest {
    claims?: AccessClaims
  }
}

/**
 * A preHandler that admits requests carrying a valid access token. The check
 * is synchronous, so it takes a callback: an async hook would cost every
 * authenticated request a promise and a trip through the microtask queue.
 */
export function requireAccess (tokens: TokenService) {
  return function authenticate (request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction): void {
    let claims: AccessClaims
    try {
      const token = bearerToken(request.headers.authorization)
      if (token === undefined) throw new AuthError('UNAUTHENTICATED')
      claims = tokens.verifyAccess(token)
    } catch (err) {
      done(err as Error)
      return
    }
    request.claims = claims
    done()
  }
}

export function claimsOf (request: FastifyRequest): AccessClaims {
  if (request.claims === undefined) throw new AuthError('UNAUTHENTICATED')
  return request.claims
}

/**
 * A preHandler for administrators, after requireAccess. The role is read from
 * the database, so a demoted admin loses access at once.
 */
export function requireAdmin ({ accounts }: Services) {
  return async function admin (request: FastifyRequest): Promise<void> {
    const caller = await accounts.activeUser(Number(claimsOf(request).sub))
    if (caller.role !== 'admin') throw new AuthError('FORBIDDEN', 'admin role required')
  }
}

import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import type { AccountsService } from '../accounts/accounts-service.js'
import { AuthError } from '../errors.js'
import type { AccessTokenEdge, Principal } from '../http/access-tokens.js'

/**
 * A preHandler that admits requests carrying a valid access token. The check
 * is synchronous, so it takes a callback: an async hook would cost every
 * authenticated request a promise and a trip through the microtask queue.
 */
export function requireAccess (edge: AccessTokenEdge) {
  return function authenticate (request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction): void {
    try {
      request.principal = edge.authenticate(request)
    } catch (err) {
      done(err as Error)
      return
    }
    done()
  }
}

/** Who the request's access token speaks for (after requireAccess). */
export function principalOf (request: FastifyRequest): Principal {
  if (request.principal === undefined) throw new AuthError('UNAUTHENTICATED')
  return request.principal
}

/**
 * A preHandler for administrators, after requireAccess. The role is read from
 * the database, so a demoted admin loses access at once.
 */
export function requireAdmin (accounts: AccountsService) {
  return async function admin (request: FastifyRequest): Promise<void> {
    const caller = await accounts.activeUser(principalOf(request).userId)
    if (caller.role !== 'admin') throw new AuthError('FORBIDDEN', 'admin role required')
  }
}

// Per-request state of /graphql: the services and the settings that shape
// the surface. The access token that authenticated the request is kept on
// the request itself, where header-token renewal looks once the operation
// has run.
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { User } from '../../accounts/users-store.js'
import { AuthError } from '../../errors.js'
import type { AccessTokenEdge, Principal } from '../../http/access-tokens.js'
import type { RateLimits } from '../../http/rate-limits.js'
import type { Services } from '../../services.js'

export interface NextSchoolContext {
  services: Services
  edge: AccessTokenEdge
  limits: RateLimits
  request: FastifyRequest
  reply: FastifyReply
  requireSchool: boolean
}

/**
 * Who the request's bearer access token speaks for; UNAUTHENTICATED (or
 * TOKEN_EXPIRED) otherwise. Kept on the request, where header-token renewal
 * looks once the operation has run.
 */
export function authenticate (context: NextSchoolContext): Principal {
  const principal = context.edge.authenticate(context.request)
  context.request.principal = principal
  return principal
}

/** FORBIDDEN when the deployment requires a school and the user has none. */
export function assertSchool (context: NextSchoolContext, schoolId: string | null | undefined): void {
  if (context.requireSchool && (schoolId === null || schoolId === undefined || schoolId === '')) {
    throw new AuthError('FORBIDDEN', 'User not assigned to a school')
  }
}

export function authUser (user: User) {
  return {
    id: user.id,
    username: user.username,
    name: user.name !== '' ? user.name : [user.firstName, user.lastName].filter(Boolean).join(' '),
    email: user.email,
    schoolId: user.tenantId,
    role: user.role
  }
}

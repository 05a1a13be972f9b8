// Per-request state of /graphql: the services, the settings that shape the
// surface, and which access token (if any) authenticated the request, so
// sliding renewal can look at it once the operation has run.
import type { FastifyReply, FastifyRequest } from 'fastify'
import { AuthError } from '../../errors.js'
import { bearerToken } from '../../http/bearer.js'
import type { Services } from '../../services.js'
import type { User } from '../../storage/database.js'
import type { AccessClaims } from '../../tokens/access-tokens.js'

export interface NextSchoolContext {
  services: Services
  request: FastifyRequest
  reply: FastifyReply
  requireSchool: boolean
  authenticatedBy?: AccessClaims
}

/** The claims of the request's bearer access token; UNAUTHENTICATED (or TOKEN_EXPIRED) otherwise. */
export function authenticate (context: NextSchoolContext): AccessClaims {
  const token = bearerToken(context.request.headers.authorization)
  if (token === undefined) throw new AuthError('UNAUTHENTICATED')
  const claims = context.services.tokens.verifyAccess(token)
  context.authenticatedBy = claims
  return claims
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

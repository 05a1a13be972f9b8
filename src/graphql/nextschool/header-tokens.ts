// Header tokens (seed 004): the access token travels in the X-Authorization
// response header, and Authorization with the same value for clients still
// reading the deprecated one. A session started by loginUser has no refresh
// token; instead, a request whose token is past half its life gets a fresh
// one the same way. Tokens of other sessions are never renewed like this:
// they refresh by their own policy.
import type { FastifyReply } from 'fastify'
import type { NextSchoolContext } from './context.js'

/** Renew once a token has used this share of its lifetime. */
export const RENEWAL_THRESHOLD = 0.5

export function sendTokenHeaders (reply: FastifyReply, accessToken: string): void {
  reply.header('x-authorization', accessToken)
  reply.header('authorization', accessToken)
}

/**
 * Runs after the operation (Mercurius onResolution), so an operation that
 * ended the session (logoutAll) gets no fresh token: renew only renews a
 * live session, and never past its end.
 */
export async function renewIfPastHalfLife (context: NextSchoolContext, now: number): Promise<void> {
  const claims = context.authenticatedBy?.claims
  if (claims === undefined || context.reply.hasHeader('x-authorization')) return
  if (now / 1000 - claims.iat < (claims.exp - claims.iat) * RENEWAL_THRESHOLD) return
  const renewed = await context.services.sessions.renew(claims)
  if (renewed !== null) sendTokenHeaders(context.reply, renewed.accessToken)
}

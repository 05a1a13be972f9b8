// Header tokens (seed 004): the access token travels in the X-Authorization
// response header, and Authorization with the same value for clients still
// reading the deprecated one. Sliding renewal hands a fresh token the same
// way to a request whose token is past half its life.
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
 * ended the session (logoutAll) gets no fresh token: renewAccess only
 * renews while the session is live.
 */
export async function renewIfPastHalfLife (context: NextSchoolContext): Promise<void> {
  const claims = context.authenticatedBy
  if (claims === undefined || context.reply.hasHeader('x-authorization')) return
  const { tokens } = context.services
  if (!tokens.isPastLifeFraction(claims, RENEWAL_THRESHOLD)) return
  const renewed = await tokens.renewAccess(claims)
  if (renewed !== null) sendTokenHeaders(context.reply, renewed.accessToken)
}

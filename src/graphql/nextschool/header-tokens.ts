// Header tokens (seed 004): the access token travels in the X-Authorization
// response header, and Authorization with the same value for clients still
// reading the deprecated one. A session started by loginUser has no refresh
// token; instead, a request whose token is past half its life gets a fresh
// one the same way. Tokens of other sessions are never renewed like this:
// they refresh by their own policy.
import type { FastifyReply, FastifyRequest, onSendHookHandler } from 'fastify'
import type { Sessions } from '../../sessions/sessions-service.js'

/** Renew once a token has used this share of its lifetime. */
export const RENEWAL_THRESHOLD = 0.5

export function sendTokenHeaders (reply: FastifyReply, accessToken: string): void {
  reply.header('x-authorization', accessToken)
  reply.header('authorization', accessToken)
}

/**
 * A Fastify onSend hook of /graphql: it runs once the operation has run, so
 * an operation that ended the session (logoutAll) gets no fresh token; renew
 * only renews a live session, and never past its end. A callback, so a
 * request that needs no renewal (nearly every one) costs no promise; a
 * Mercurius onResolution hook cost 4.4 of 66.8 µs a `{ me { id } }`. A renewal that
 * fails (the database is away) leaves the answer as it is: the token
 * presented stays valid until it expires, and the next request asks again.
 */
export function renewingPastHalfLife (sessions: Pick<Sessions, 'renew'>, now: () => number, onFailure: (err: unknown, request: FastifyRequest) => void): onSendHookHandler {
  return function renewIfPastHalfLife (request, reply, payload, done) {
    const claims = request.principal?.claims
    if (claims === undefined || reply.hasHeader('x-authorization') || now() / 1000 - claims.iat < (claims.exp - claims.iat) * RENEWAL_THRESHOLD) {
      done(null, payload)
      return
    }
    sessions.renew(claims).then((renewed) => {
      if (renewed !== null) sendTokenHeaders(reply, renewed.accessToken)
      done(null, payload)
    }, (err: unknown) => {
      onFailure(err, request)
      done(null, payload)
    })
  }
}

// A user's own sessions (devices): list them, end one, end all the others.
// Mounted at /auth and /api/v1/auth.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { AuthError } from '../errors.js'
import { clientInfo } from '../http/client-info.js'
import type { Services } from '../services.js'
import { claimsOf, requireAccess } from './authenticate.js'
import { ErrorBody, LogoutAllBody, SessionList, SessionParams } from './schemas.js'
import { toSessionViews } from '../accounts/session-view.js'

const security = [{ bearerAuth: [] }]

export const sessionsRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  const { tokens } = services
  app.addHook('preHandler', requireAccess(tokens))

  app.get('/sessions', {
    schema: { summary: 'My live sessions; `current` marks the one this token belongs to', security, response: { 200: SessionList, 401: ErrorBody, 403: ErrorBody } }
  }, async (request) => {
    const claims = claimsOf(request)
    return toSessionViews(await tokens.listSessions(Number(claims.sub)), claims.sid)
  })

  app.delete('/sessions/:id', {
    schema: { summary: 'End one of my sessions', security, params: SessionParams, response: { 200: LogoutAllBody, 401: ErrorBody, 404: ErrorBody } }
  }, async (request) => {
    const ended = await tokens.endSession(Number(claimsOf(request).sub), request.params.id, clientInfo(request))
    if (!ended) throw new AuthError('NOT_FOUND', 'No such live session')
    return { revokedSessions: 1 }
  })

  app.delete('/sessions', {
    schema: { summary: 'End all my sessions but this one', security, response: { 200: LogoutAllBody, 401: ErrorBody } }
  }, async (request) => {
    const claims = claimsOf(request)
    return { revokedSessions: await tokens.revokeAll(Number(claims.sub), { exceptSessionId: claims.sid, client: clientInfo(request), reason: 'session.revoked' }) }
  })
}

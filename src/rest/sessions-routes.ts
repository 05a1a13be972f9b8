// A user's own sessions (devices): list them, end one, end all the others.
// Mounted at /auth and /api/v1/auth.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { AuthError } from '../errors.js'
import { clientInfo } from '../http/client-info.js'
import { sessionList } from '../http/session-list.js'
import { principalOf, requireAccess } from './authenticate.js'
import type { RestOptions } from './route-options.js'
import { ErrorBody, LogoutAllBody, SessionList, SessionParams } from './schemas.js'

const security = [{ bearerAuth: [] }]

export const sessionsRoutes: FastifyPluginAsyncTypebox<RestOptions> = async (app, { services, edge }) => {
  const { sessions } = services
  app.addHook('preHandler', requireAccess(edge))

  app.get('/sessions', {
    schema: { summary: 'My live sessions; `current` marks the one this token belongs to', security, response: { 200: SessionList, 401: ErrorBody, 403: ErrorBody } }
  }, async (request) => {
    const { userId, sessionId } = principalOf(request)
    return sessionList(await sessions.list(userId), sessionId)
  })

  app.delete('/sessions/:id', {
    schema: { summary: 'End one of my sessions', security, params: SessionParams, response: { 200: LogoutAllBody, 401: ErrorBody, 404: ErrorBody } }
  }, async (request) => {
    const { userId } = principalOf(request)
    const ended = await sessions.endOne(userId, request.params.id, { actorId: userId, client: clientInfo(request) })
    if (!ended) throw new AuthError('NOT_FOUND', 'No such live session')
    return { revokedSessions: 1 }
  })

  app.delete('/sessions', {
    schema: { summary: 'End all my sessions but this one', security, response: { 200: LogoutAllBody, 401: ErrorBody } }
  }, async (request) => {
    const { userId, sessionId } = principalOf(request)
    return { revokedSessions: await sessions.endAll(userId, { exceptSessionId: sessionId, actorId: userId, client: clientInfo(request), reason: 'session.revoked' }) }
  })
}

// Administration of users. Only admins; there is no public sign-up. Every
// change is recorded in the audit trail with the administrator who made it.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import type { Actor } from '../accounts/accounts-service.js'
import { clientInfo } from '../http/client-info.js'
import { sessionList } from '../http/session-list.js'
import { principalOf, requireAccess, requireAdmin } from './authenticate.js'
import { toProfile } from './profile.js'
import type { RestOptions } from './route-options.js'
import { CreateUserBody, ErrorBody, LogoutAllBody, Profile, SessionList, UserParams, UserPatchBody } from './schemas.js'

const security = [{ bearerAuth: [] }]
const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody }

const actorOf = (request: FastifyRequest): Actor => ({ actorId: principalOf(request).userId, client: clientInfo(request) })

export const usersRoutes: FastifyPluginAsyncTypebox<RestOptions> = async (app, { services, edge }) => {
  const { accounts, sessions } = services
  app.addHook('preHandler', requireAccess(edge))
  app.addHook('preHandler', requireAdmin(accounts))

  app.post('/', {
    schema: { summary: 'Create a user', security, body: CreateUserBody, response: { 201: Profile, ...errors, 409: ErrorBody } }
  }, async (request, reply) => {
    const { schoolId, ...rest } = request.body
    const user = await accounts.create({ ...rest, tenantId: schoolId }, actorOf(request))
    return reply.code(201).send(toProfile(user))
  })

  app.get('/:id', {
    schema: { summary: 'A user', security, params: UserParams, response: { 200: Profile, ...errors } }
  }, async (request) => toProfile(await accounts.get(Number(request.params.id))))

  app.patch('/:id', {
    schema: { summary: 'Disable (ending every session) or re-enable a user', security, params: UserParams, body: UserPatchBody, response: { 200: Profile, ...errors } }
  }, async (request) => toProfile(await accounts.setDisabled(Number(request.params.id), request.body.disabled, actorOf(request))))

  app.delete('/:id', {
    schema: { summary: 'Delete a user, ending every session', security, params: UserParams, response: { 204: Type.Null(), ...errors } }
  }, async (request, reply) => {
    await accounts.delete(Number(request.params.id), actorOf(request))
    return reply.code(204).send(null)
  })

  app.get('/:id/sessions', {
    schema: { summary: "A user's live sessions", security, params: UserParams, response: { 200: SessionList, ...errors } }
  }, async (request) => {
    const user = await accounts.get(Number(request.params.id))
    return sessionList(await sessions.list(user.id))
  })

  app.delete('/:id/sessions', {
    schema: { summary: "End all of a user's sessions", security, params: UserParams, response: { 200: LogoutAllBody, ...errors } }
  }, async (request) => {
    const user = await accounts.get(Number(request.params.id))
    return { revokedSessions: await sessions.endAll(user.id, actorOf(request)) }
  })
}

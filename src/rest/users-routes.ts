// Administration of users. Only admins; there is no public sign-up.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { clientInfo } from '../http/client-info.js'
import type { Services } from '../services.js'
import { requireAccess, requireAdmin } from './authenticate.js'
import { toProfile } from './profile.js'
import { CreateUserBody, ErrorBody, LogoutAllBody, Profile, SessionList, UserParams, UserPatchBody } from './schemas.js'
import { toSessionViews } from '../accounts/session-view.js'

const security = [{ bearerAuth: [] }]
const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody }

export const usersRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  const { accounts, tokens } = services
  app.addHook('preHandler', requireAccess(tokens))
  app.addHook('preHandler', requireAdmin(services))

  app.post('/', {
    schema: { summary: 'Create a user', security, body: CreateUserBody, response: { 201: Profile, ...errors, 409: ErrorBody } }
  }, async (request, reply) => {
    const { schoolId, ...rest } = request.body
    const user = await accounts.create({ ...rest, tenantId: schoolId })
    return reply.code(201).send(toProfile(user))
  })

  app.get('/:id', {
    schema: { summary: 'A user', security, params: UserParams, response: { 200: Profile, ...errors } }
  }, async (request) => toProfile(await accounts.get(Number(request.params.id))))

  app.patch('/:id', {
    schema: { summary: 'Disable (ending every session) or re-enable a user', security, params: UserParams, body: UserPatchBody, response: { 200: Profile, ...errors } }
  }, async (request) => toProfile(await accounts.setDisabled(Number(request.params.id), request.body.disabled, clientInfo(request))))

  app.delete('/:id', {
    schema: { summary: 'Delete a user, ending every session', security, params: UserParams, response: { 204: Type.Null(), ...errors } }
  }, async (request, reply) => {
    await accounts.delete(Number(request.params.id), clientInfo(request))
    return reply.code(204).send(null)
  })

  app.get('/:id/sessions', {
    schema: { summary: "A user's live sessions", security, params: UserParams, response: { 200: SessionList, ...errors } }
  }, async (request) => {
    const user = await accounts.get(Number(request.params.id))
    return toSessionViews(await tokens.listSessions(user.id))
  })

  app.delete('/:id/sessions', {
    schema: { summary: "End all of a user's sessions", security, params: UserParams, response: { 200: LogoutAllBody, ...errors } }
  }, async (request) => {
    const user = await accounts.get(Number(request.params.id))
    return { revokedSessions: await tokens.revokeAll(user.id, { client: clientInfo(request) }) }
  })
}

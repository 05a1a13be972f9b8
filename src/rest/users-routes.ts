// Administration of users. Only admins; there is no public sign-up.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { AuthError } from '../errors.js'
import type { Services } from '../services.js'
import { claimsOf, requireAccess } from './authenticate.js'
import { toProfile } from './profile.js'
import { CreateUserBody, ErrorBody, Profile } from './schemas.js'

export const usersRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  const { accounts, tokens } = services

  // The role is read from the database, so a demoted admin loses access at once.
  app.addHook('preHandler', requireAccess(tokens))
  app.addHook('preHandler', async (request) => {
    const caller = await accounts.activeUser(Number(claimsOf(request).sub))
    if (caller.role !== 'admin') throw new AuthError('FORBIDDEN', 'admin role required')
  })

  app.post('/', {
    schema: {
      summary: 'Create a user (admin only)',
      security: [{ bearerAuth: [] }],
      body: CreateUserBody,
      response: { 201: Profile, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 409: ErrorBody }
    }
  }, async (request, reply) => {
    const { schoolId, ...rest } = request.body
    const user = await accounts.create({ ...rest, tenantId: schoolId })
    return reply.code(201).send(toProfile(user))
  })
}

// escuelajs-style auth routes. Mounted at /auth and /api/v1/auth.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { clientInfo } from '../http/client-info.js'
import type { RateLimits } from '../http/rate-limits.js'
import type { Services } from '../services.js'
import { claimsOf, requireAccess } from './authenticate.js'
import { sendProfile, toProfile } from './profile.js'
import { ErrorBody, LoginBody, LogoutAllBody, LogoutBody, PasswordBody, Profile, RefreshBody, TokenPairBody } from './schemas.js'

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody }
const bearer = [{ bearerAuth: [] }]

export const authRoutes: FastifyPluginAsyncTypebox<{ services: Services, limits: RateLimits }> = async (app, { services, limits }) => {
  const { accounts, tokens } = services
  const authenticate = requireAccess(tokens)

  app.post('/login', {
    onRequest: limits.passwordCheck,
    schema: {
      summary: 'Log in with email and password',
      body: LoginBody,
      response: { 201: TokenPairBody, ...errors }
    }
  }, async (request, reply) => {
    const pair = await accounts.login(request.body.email, request.body.password, clientInfo(request))
    return reply.code(201).send({ access_token: pair.accessToken, refresh_token: pair.refreshToken })
  })

  app.get('/profile', {
    preHandler: authenticate,
    schema: { summary: 'The authenticated user', security: bearer, response: { 200: Profile, ...errors } }
  }, (request, reply) => {
    const id = Number(claimsOf(request).sub)
    const user = accounts.cachedActiveUser(id)
    if (user === undefined) return accounts.activeUser(id).then(toProfile)
    // Answered without a promise, in the JSON already made for this user record.
    sendProfile(reply, user)
    return undefined
  })

  app.post('/refresh-token', {
    schema: {
      summary: 'Exchange a refresh token for a new pair; the presented one is retired',
      body: RefreshBody,
      response: { 201: TokenPairBody, ...errors }
    }
  }, async (request, reply) => {
    const pair = await tokens.rotate(request.body.refreshToken, clientInfo(request))
    return reply.code(201).send({ access_token: pair.accessToken, refresh_token: pair.refreshToken })
  })

  app.post('/logout', {
    schema: {
      summary: 'End the session of a refresh token (answers the same for unknown tokens, as RFC 7009 asks)',
      body: RefreshBody,
      response: { 200: LogoutBody, 400: ErrorBody }
    }
  }, async (request) => {
    await tokens.revoke(request.body.refreshToken, clientInfo(request))
    return { loggedOut: true }
  })

  app.post('/logout-all', {
    preHandler: authenticate,
    schema: {
      summary: "End all of the user's sessions",
      security: bearer,
      response: { 200: LogoutAllBody, ...errors }
    }
  }, async (request) => ({ revokedSessions: await tokens.revokeAll(Number(claimsOf(request).sub), { client: clientInfo(request) }) }))

  app.post('/password', {
    onRequest: limits.passwordCheck,
    preHandler: authenticate,
    schema: {
      summary: 'Change my password; my other sessions end',
      security: bearer,
      body: PasswordBody,
      response: { 200: LogoutAllBody, ...errors }
    }
  }, async (request) => {
    const claims = claimsOf(request)
    const { currentPassword, newPassword } = request.body
    return { revokedSessions: await accounts.changePassword(Number(claims.sub), currentPassword, newPassword, claims.sid, clientInfo(request)) }
  })
}

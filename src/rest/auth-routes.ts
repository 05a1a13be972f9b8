// escuelajs-style auth routes. Mounted at /auth and /api/v1/auth.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { clientInfo } from '../http/client-info.js'
import { principalOf, requireAccess } from './authenticate.js'
import { sendProfile, toProfile } from './profile.js'
import type { RestOptions } from './route-options.js'
import { ErrorBody, LoginBody, LogoutAllBody, LogoutBody, PasswordBody, Profile, RefreshBody, TokenPairBody } from './schemas.js'

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody }
const bearer = [{ bearerAuth: [] }]

export const authRoutes: FastifyPluginAsyncTypebox<RestOptions> = async (app, { services, edge, limits }) => {
  const { accounts, sessions } = services
  const authenticate = requireAccess(edge)

  app.post('/login', {
    onRequest: limits.passwordCheck,
    schema: {
      summary: 'Log in with email (or username) and password; the session rotates its refresh token at every refresh',
      body: LoginBody,
      response: { 201: TokenPairBody, ...errors }
    }
  }, async (request, reply) => {
    const started = await accounts.login(request.body.email, request.body.password, { client: clientInfo(request), policy: 'rotating' })
    return reply.code(201).send({ access_token: started.accessToken, refresh_token: started.refreshToken as string })
  })

  app.get('/profile', {
    // Not counted against the client's request budget, like forward-auth: it
    // is answered from memory after the token's check (the user is read from
    // the database only when the user cache has no copy younger than
    // USER_CACHE_TTL_MS), so a refusal would cost as much as the answer, and
    // counting it cost 5,800 of the 101,000 instructions it took (callgrind).
    config: { rateLimit: false },
    preHandler: authenticate,
    schema: { summary: 'The authenticated user', security: bearer, response: { 200: Profile, ...errors } }
  }, (request, reply) => {
    const { userId } = principalOf(request)
    const user = accounts.cachedActiveUser(userId)
    if (user === undefined) return accounts.activeUser(userId).then(toProfile)
    // Answered without a promise, in the JSON already made for this user record.
    sendProfile(reply, user)
    return undefined
  })

  app.post('/refresh-token', {
    schema: {
      summary: 'Exchange a refresh token of a REST session for a new pair; the presented one is retired',
      body: RefreshBody,
      response: { 201: TokenPairBody, ...errors }
    }
  }, async (request, reply) => {
    const pair = await sessions.rotate(request.body.refreshToken, clientInfo(request))
    return reply.code(201).send({ access_token: pair.accessToken, refresh_token: pair.refreshToken })
  })

  app.post('/logout', {
    schema: {
      summary: 'End the session of a refresh token (answers the same for unknown tokens, as RFC 7009 asks)',
      body: RefreshBody,
      response: { 200: LogoutBody, 400: ErrorBody }
    }
  }, async (request) => {
    await sessions.endByRefreshToken(request.body.refreshToken, clientInfo(request))
    return { loggedOut: true }
  })

  app.post('/logout-all', {
    preHandler: authenticate,
    schema: {
      summary: "End all of the user's sessions",
      security: bearer,
      response: { 200: LogoutAllBody, ...errors }
    }
  }, async (request) => {
    const { userId } = principalOf(request)
    return { revokedSessions: await sessions.endAll(userId, { actorId: userId, client: clientInfo(request) }) }
  })

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
    const { userId, sessionId } = principalOf(request)
    const { currentPassword, newPassword } = request.body
    return { revokedSessions: await accounts.changePassword(userId, currentPassword, newPassword, sessionId, clientInfo(request)) }
  })
}

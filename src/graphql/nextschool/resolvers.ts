// Resolvers of /graphql. They speak to the shared services only and raise
// the shared catalogue's errors; errors.ts words them for clients.
import type { User } from '../../accounts/users-store.js'
import { AuthError } from '../../errors.js'
import { clientInfo } from '../../http/client-info.js'
import { sessionList } from '../../http/session-list.js'
import { loginArgument, passwordArgument, tokenArgument } from '../arguments.js'
import { assertSchool, authenticate, authUser, type NextSchoolContext } from './context.js'
import { sendTokenHeaders } from './header-tokens.js'

/** The user as `me` answers it; FORBIDDEN where the deployment requires a school the user lacks. */
function schoolUser (context: NextSchoolContext, user: User) {
  assertSchool(context, user.tenantId)
  return authUser(user)
}

export const nextSchoolResolvers = {
  Query: {
    /** Answered without a promise when the user cache holds the user, as the REST profile is. */
    me (_root: unknown, _args: unknown, context: NextSchoolContext) {
      const { userId } = authenticate(context)
      const { accounts } = context.services
      const cached = accounts.cachedActiveUser(userId)
      if (cached === undefined) return accounts.activeUser(userId).then((user) => schoolUser(context, user))
      return schoolUser(context, cached)
    },

    /** Header-token login (seed 004): the session has no refresh token; its token is renewed while in use. */
    async loginUser (_root: unknown, args: { email?: string | null, username?: string | null, password: string }, context: NextSchoolContext) {
      await context.limits.passwordCheck(context.request, context.reply)
      const given = args.email ?? args.username
      if (given === undefined || given === null || given === '') throw new AuthError('BAD_REQUEST', 'email or username is required')
      const login = loginArgument(given, args.email !== undefined && args.email !== null ? 'email' : 'username')
      const started = await context.services.accounts.login(login, passwordArgument(args.password), {
        client: clientInfo(context.request),
        policy: 'sliding',
        admit: (user) => { assertSchool(context, user.tenantId) }
      })
      sendTokenHeaders(context.reply, started.accessToken)
      return authUser(started.user)
    },

    async sessions (_root: unknown, _args: unknown, context: NextSchoolContext) {
      const { userId, sessionId } = authenticate(context)
      return sessionList(await context.services.sessions.list(userId), sessionId)
    }
  },

  Mutation: {
    async login (_root: unknown, args: { username: string, password: string }, context: NextSchoolContext) {
      await context.limits.passwordCheck(context.request, context.reply)
      // NextSchool clients keep their refresh token: the session does not rotate it.
      const started = await context.services.accounts.login(loginArgument(args.username), passwordArgument(args.password), {
        client: clientInfo(context.request),
        policy: 'reusable',
        admit: (user) => { assertSchool(context, user.tenantId) }
      })
      return { accessToken: started.accessToken, refreshToken: started.refreshToken, expiresIn: started.expiresIn, user: authUser(started.user) }
    },

    async refreshToken (_root: unknown, args: { refreshToken: string }, context: NextSchoolContext) {
      const { accessToken, expiresIn, user } = await context.services.sessions.refresh(tokenArgument(args.refreshToken, 'refreshToken'), clientInfo(context.request))
      assertSchool(context, user.tenantId)
      return { accessToken, expiresIn }
    },

    async logout (_root: unknown, args: { refreshToken: string }, context: NextSchoolContext) {
      await context.services.sessions.endByRefreshToken(tokenArgument(args.refreshToken, 'refreshToken'), clientInfo(context.request))
      return true
    },

    async logoutAll (_root: unknown, _args: unknown, context: NextSchoolContext) {
      const { userId } = authenticate(context)
      await context.services.sessions.endAll(userId, { actorId: userId, client: clientInfo(context.request) })
      return true
    },

    async revokeSession (_root: unknown, args: { id: string }, context: NextSchoolContext) {
      const { userId } = authenticate(context)
      return context.services.sessions.endOne(userId, tokenArgument(args.id, 'id'), { actorId: userId, client: clientInfo(context.request) })
    },

    async revokeOtherSessions (_root: unknown, _args: unknown, context: NextSchoolContext) {
      const { userId, sessionId } = authenticate(context)
      return context.services.sessions.endAll(userId, { exceptSessionId: sessionId, actorId: userId, client: clientInfo(context.request), reason: 'session.revoked' })
    }
  }
}

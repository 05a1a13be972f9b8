// Resolvers of /graphql. They speak to the shared services only and raise
// the shared catalogue's errors; errors.ts words them for clients.
import { toSessionViews } from '../../accounts/session-view.js'
import { AuthError } from '../../errors.js'
import { clientInfo } from '../../http/client-info.js'
import { loginArgument, passwordArgument, tokenArgument } from '../arguments.js'
import { assertSchool, authenticate, authUser, type NextSchoolContext } from './context.js'
import { sendTokenHeaders } from './header-tokens.js'

export const nextSchoolResolvers = {
  Query: {
    async me (_root: unknown, _args: unknown, context: NextSchoolContext) {
      const claims = authenticate(context)
      const user = await context.services.accounts.activeUser(Number(claims.sub))
      assertSchool(context, user.tenantId)
      return authUser(user)
    },

    async loginUser (_root: unknown, args: { email?: string | null, username?: string | null, password: string }, context: NextSchoolContext) {
      const given = args.email ?? args.username
      if (given === undefined || given === null || given === '') throw new AuthError('BAD_REQUEST', 'email or username is required')
      const login = loginArgument(given, args.email !== undefined && args.email !== null ? 'email' : 'username')
      const pair = await context.services.accounts.login(login, passwordArgument(args.password), clientInfo(context.request), (user) => { assertSchool(context, user.tenantId) })
      sendTokenHeaders(context.reply, pair.accessToken)
      return authUser(pair.user)
    },

    async sessions (_root: unknown, _args: unknown, context: NextSchoolContext) {
      const claims = authenticate(context)
      return toSessionViews(await context.services.tokens.listSessions(Number(claims.sub)), claims.sid)
    }
  },

  Mutation: {
    async login (_root: unknown, args: { username: string, password: string }, context: NextSchoolContext) {
      const pair = await context.services.accounts.login(loginArgument(args.username), passwordArgument(args.password), clientInfo(context.request), (user) => { assertSchool(context, user.tenantId) })
      return { accessToken: pair.accessToken, refreshToken: pair.refreshToken, expiresIn: pair.expiresIn, user: authUser(pair.user) }
    },

    async refreshToken (_root: unknown, args: { refreshToken: string }, context: NextSchoolContext) {
      const { tokens } = context.services
      // Not rotated, as NextSchool documents: clients keep their refresh token.
      const { accessToken, expiresIn, user } = await tokens.refreshAccess(tokenArgument(args.refreshToken, 'refreshToken'))
      assertSchool(context, user.tenantId)
      return { accessToken, expiresIn }
    },

    async logout (_root: unknown, args: { refreshToken: string }, context: NextSchoolContext) {
      await context.services.tokens.revoke(tokenArgument(args.refreshToken, 'refreshToken'), clientInfo(context.request))
      return true
    },

    async logoutAll (_root: unknown, _args: unknown, context: NextSchoolContext) {
      const claims = authenticate(context)
      await context.services.tokens.revokeAll(Number(claims.sub), { client: clientInfo(context.request) })
      return true
    },

    async revokeSession (_root: unknown, args: { id: string }, context: NextSchoolContext) {
      const claims = authenticate(context)
      return context.services.tokens.endSession(Number(claims.sub), tokenArgument(args.id, 'id'), clientInfo(context.request))
    },

    async revokeOtherSessions (_root: unknown, _args: unknown, context: NextSchoolContext) {
      const claims = authenticate(context)
      return context.services.tokens.revokeAll(Number(claims.sub), { exceptSessionId: claims.sid, client: clientInfo(context.request), reason: 'session.revoked' })
    }
  }
}

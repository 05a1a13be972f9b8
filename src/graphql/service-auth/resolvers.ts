// Resolvers of /service/Auth. They speak to the shared services only, and
// raise the shared catalogue's errors; errors.ts words them for clients.
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { User } from '../../accounts/users-store.js'
import { AuthError, isAuthError } from '../../errors.js'
import { bearerToken, type AccessTokenEdge } from '../../http/access-tokens.js'
import { clientInfo } from '../../http/client-info.js'
import type { RateLimits } from '../../http/rate-limits.js'
import type { Services } from '../../services.js'
import { loginArgument, passwordArgument, tokenArgument } from '../arguments.js'

export interface ServiceAuthContext {
  services: Services
  edge: AccessTokenEdge
  limits: RateLimits
  request: FastifyRequest
  reply: FastifyReply
}

/** CollectiveAccess's user class for an account that may use the services. */
const FULL_ACCESS_USERCLASS = '0'

export function userInfo (user: User) {
  return {
    id: user.id,
    username: user.username,
    email: user.email,
    fname: user.firstName,
    lname: user.lastName,
    userclass: FULL_ACCESS_USERCLASS
  }
}

/**
 * A login refused for its credentials. CollectiveAccess clients test `jwt`
 * for null, so every field resolves to null; the reason is raised once, on
 * the first field the client selected, so it shows in `errors` too.
 */
class RefusedLogin {
  private reported = false
  constructor (private readonly reason: AuthError) {}

  field (): null {
    if (this.reported) return null
    this.reported = true
    throw this.reason
  }
}

interface IssuedLogin {
  id: number
  jwt: string
  refresh: string
  user: ReturnType<typeof userInfo>
}

type LoginResult = IssuedLogin | RefusedLogin

const loginField = <K extends keyof IssuedLogin>(key: K) =>
  (parent: LoginResult) => parent instanceof RefusedLogin ? parent.field() : parent[key]

function accessTokenOf (request: FastifyRequest, argument: string | null | undefined): string {
  // The explicit argument wins over the header, as in CollectiveAccess.
  const token = argument ?? bearerToken(request.headers.authorization)
  if (token === undefined) throw new AuthError('UNAUTHENTICATED')
  return token
}

export const serviceAuthResolvers = {
  Auth: {
    async login (_root: unknown, args: { username?: string | null, password?: string | null }, { services, limits, request, reply }: ServiceAuthContext): Promise<LoginResult> {
      await limits.passwordCheck(request, reply)
      const login = loginArgument(args.username)
      const password = passwordArgument(args.password)
      try {
        // CollectiveAccess clients keep their refresh token: the session does not rotate it.
        const { user, accessToken, refreshToken } = await services.accounts.login(login, password, { client: clientInfo(request), policy: 'reusable' })
        return { id: user.id, jwt: accessToken, refresh: refreshToken as string, user: userInfo(user) }
      } catch (err) {
        if (isAuthError(err) && (err.code === 'INVALID_CREDENTIALS' || err.code === 'ACCOUNT_DISABLED')) return new RefusedLogin(err)
        throw err
      }
    },

    async refresh (_root: unknown, args: { token?: string | null }, { services, request }: ServiceAuthContext) {
      const token = tokenArgument(args.token ?? bearerToken(request.headers.authorization), 'token (or a bearer refresh token)')
      const { accessToken } = await services.sessions.refresh(token, clientInfo(request))
      return { jwt: accessToken }
    },

    async validate (_root: unknown, args: { jwt?: string | null }, { services, edge, request }: ServiceAuthContext) {
      const { userId } = edge.verify(accessTokenOf(request, args.jwt))
      return userInfo(await services.accounts.activeUser(userId))
    }
  },
  User: {
    id: loginField('id'),
    jwt: loginField('jwt'),
    refresh: loginField('refresh'),
    user: loginField('user')
  }
}

// How each surface of the gateway logs in, refreshes, logs out and answers
// "who am I". The client decides when; these say how.
import { AuthgateError, RateLimitedError } from './errors.js'
import {
  bearer, graphqlAttempt, graphqlError, graphqlRequest, postJson, readJson, REFUSED_STATUSES, RefreshRefused, refusesToken, restError,
  type Attempt, type Transport
} from './http.js'
import { jwtPayload, receivedTokens, type RefreshableTokens, type Surface, type Tokens } from './tokens.js'

/** An email address or a username (every surface accepts either as the login). */
export type Credentials = { email: string, password: string } | { username: string, password: string }

/** What `login()` takes: the credentials, and which kind of session to start. */
export type LoginOptions = Credentials & {
  /**
   * Start a header-token session (/graphql's loginUser; `graphql` surface
   * only): the access token comes in X-Authorization, there is no refresh
   * token, and the gateway renews the token while /graphql calls use it.
   */
  headerToken?: boolean
}

/** The user as the surface describes it: REST's profile, /graphql's `me`, /service/Auth's `validate`. */
export interface Profile {
  id: number
  username?: string
  email?: string
  [field: string]: unknown
}

export interface SurfaceProtocol {
  /** Where `graphql()` calls go by default. */
  graphqlPath: string
  login (transport: Transport, credentials: Credentials): Promise<Tokens>
  /** The next tokens of the session; RefreshRefused when the gateway will not refresh it. */
  refresh (transport: Transport, tokens: RefreshableTokens): Promise<Tokens>
  /** Ends the session on the gateway; refused tokens and unknown sessions count as ended. */
  logout (transport: Transport, tokens: Tokens): Promise<void>
  logoutAll (transport: Transport, accessToken: string): Promise<Attempt<void>>
  profile (transport: Transport, accessToken: string): Promise<Attempt<Profile>>
}

const loginName = (credentials: Credentials): string => 'email' in credentials ? credentials.email : credentials.username

/** The refresh token a logout by refresh token needs; only sessions that have one are logged out that way. */
function refreshTokenOf (tokens: Tokens): string {
  if (tokens.refreshToken === undefined) throw new TypeError('this session has no refresh token')
  return tokens.refreshToken
}

function stringField (value: unknown, field: string): string | undefined {
  const v = (value as Record<string, unknown> | null | undefined)?.[field]
  return typeof v === 'string' && v !== '' ? v : undefined
}

function numberField (value: unknown, field: string): number | undefined {
  const v = (value as Record<string, unknown> | null | undefined)?.[field]
  return typeof v === 'number' ? v : undefined
}

/**
 * A refresh answer that gave no token: refused when the gateway said no (the
 * session is over); a rate limit, a server error or an unexpected status
 * leaves the session as it is.
 */
function refreshFailure (res: Response, error: AuthgateError, body: unknown): Error {
  if (error instanceof RateLimitedError) return error
  if (REFUSED_STATUSES.has(res.status) || res.ok) return new RefreshRefused(error.message, res.status, error.code, body)
  return error
}

// REST (/auth/*): refresh tokens rotate, so each refresh hands back a new pair.
const rest: SurfaceProtocol = {
  graphqlPath: '/graphql',

  async login (transport, credentials) {
    const { res, body } = await postJson(transport, '/auth/login', { email: loginName(credentials), password: credentials.password })
    const access = stringField(body, 'access_token')
    const refresh = stringField(body, 'refresh_token')
    if (!res.ok || access === undefined || refresh === undefined) throw restError(res, body)
    return receivedTokens('rest', access, refresh, transport.now())
  },

  async refresh (transport, tokens) {
    const { res, body } = await postJson(transport, '/auth/refresh-token', { refreshToken: tokens.refreshToken })
    const access = stringField(body, 'access_token')
    const refresh = stringField(body, 'refresh_token')
    if (res.ok && access !== undefined && refresh !== undefined) return receivedTokens('rest', access, refresh, transport.now())
    throw refreshFailure(res, restError(res, body), body)
  },

  async logout (transport, tokens) {
    const { res, body } = await postJson(transport, '/auth/logout', { refreshToken: refreshTokenOf(tokens) })
    if (!res.ok) throw restError(res, body)
  },

  async logoutAll (transport, accessToken) {
    const { res, body } = await postJson(transport, '/auth/logout-all', {}, bearer(accessToken), accessToken)
    return {
      tokenRefused: res.status === 401,
      settle () { if (!res.ok) throw restError(res, body) }
    }
  },

  async profile (transport, accessToken) {
    const res = await transport.send(transport.url('/auth/profile'), { headers: { accept: 'application/json', ...bearer(accessToken) } }, accessToken)
    const body = await readJson(res)
    return {
      tokenRefused: res.status === 401,
      settle () {
        if (!res.ok || numberField(body, 'id') === undefined) throw restError(res, body)
        return body as Profile
      }
    }
  }
}

// /graphql (NextSchool): the refresh token is not rotated; refreshToken gives a new access token only.
const graphql: SurfaceProtocol = {
  graphqlPath: '/graphql',

  async login (transport, credentials) {
    const answer = await graphqlRequest(transport, '/graphql',
      'mutation Login($username: String!, $password: String!) { login(username: $username, password: $password) { accessToken refreshToken expiresIn } }',
      { username: loginName(credentials), password: credentials.password })
    const login = answer.data?.login
    const access = stringField(login, 'accessToken')
    const refresh = stringField(login, 'refreshToken')
    if (access === undefined || refresh === undefined) throw graphqlError(answer)
    return receivedTokens('graphql', access, refresh, transport.now(), numberField(login, 'expiresIn'))
  },

  async refresh (transport, tokens) {
    const answer = await graphqlRequest(transport, '/graphql',
      'mutation Refresh($refreshToken: String!) { refreshToken(refreshToken: $refreshToken) { accessToken expiresIn } }',
      { refreshToken: tokens.refreshToken })
    const payload = answer.data?.refreshToken
    const access = stringField(payload, 'accessToken')
    if (access !== undefined) return receivedTokens('graphql', access, tokens.refreshToken, transport.now(), numberField(payload, 'expiresIn'))
    throw refreshFailure(answer.res, graphqlError(answer), answer.body)
  },

  async logout (transport, tokens) {
    const answer = await graphqlRequest(transport, '/graphql', 'mutation Logout($refreshToken: String!) { logout(refreshToken: $refreshToken) }', { refreshToken: refreshTokenOf(tokens) })
    if (answer.data?.logout !== true) throw graphqlError(answer)
  },

  async logoutAll (transport, accessToken) {
    const answer = await graphqlRequest(transport, '/graphql', 'mutation LogoutAll { logoutAll }', undefined, accessToken)
    return graphqlAttempt(answer, () => undefined)
  },

  async profile (transport, accessToken) {
    const answer = await graphqlRequest(transport, '/graphql', 'query Me { me { id username name email schoolId role } }', undefined, accessToken)
    return graphqlAttempt(answer, data => data.me as Profile)
  }
}

// /service/Auth (CollectiveAccess): `refresh` gives a new access token only.
// The surface has no logout; sessions are shared by every surface, so the
// REST routes end them.
const serviceAuth: SurfaceProtocol = {
  graphqlPath: '/service/Auth',

  async login (transport, credentials) {
    const answer = await graphqlRequest(transport, '/service/Auth',
      'query Login($username: String, $password: String) { login(username: $username, password: $password) { jwt refresh } }',
      { username: loginName(credentials), password: credentials.password })
    const login = answer.data?.login
    const access = stringField(login, 'jwt')
    const refresh = stringField(login, 'refresh')
    // A refused login answers 200 with null fields and the reason in `errors`.
    if (access === undefined || refresh === undefined) throw graphqlError(answer)
    return receivedTokens('service-auth', access, refresh, transport.now())
  },

  async refresh (transport, tokens) {
    const answer = await graphqlRequest(transport, '/service/Auth', 'query Refresh($token: String) { refresh(token: $token) { jwt } }', { token: tokens.refreshToken })
    const access = stringField(answer.data?.refresh, 'jwt')
    if (access !== undefined) return receivedTokens('service-auth', access, tokens.refreshToken, transport.now())
    throw refreshFailure(answer.res, graphqlError(answer), answer.body)
  },

  logout: rest.logout,
  logoutAll: rest.logoutAll,

  async profile (transport, accessToken) {
    const answer = await graphqlRequest(transport, '/service/Auth', 'query Validate { validate { id username email fname lname userclass } }', undefined, accessToken)
    return graphqlAttempt(answer, data => data.validate as Profile)
  }
}

export const SURFACES: Readonly<Record<Surface, SurfaceProtocol>> = { rest, graphql, 'service-auth': serviceAuth }

/** A header token as the gateway sends it: the bare JWT (a `Bearer ` prefix is tolerated). */
export function headerToken (value: string | null): string | undefined {
  const token = value?.replace(/^bearer\s+/i, '').trim()
  return token !== undefined && token !== '' && jwtPayload(token) !== null ? token : undefined
}

// Header-token sessions on /graphql (seed 004's loginUser): the access token
// arrives in X-Authorization and there is no refresh token. A /graphql call
// made with a token past half its life brings a renewed one in the same
// header (the client adopts it from any answer); once the token is refused,
// nothing can renew it and the session is over.
export const HEADER_TOKENS: SurfaceProtocol = {
  graphqlPath: '/graphql',

  async login (transport, credentials) {
    const byEmail = 'email' in credentials
    const answer = await graphqlRequest(transport, '/graphql',
      byEmail
        ? 'query LoginUser($email: String, $password: String!) { loginUser(email: $email, password: $password) { id } }'
        : 'query LoginUser($username: String, $password: String!) { loginUser(username: $username, password: $password) { id } }',
      byEmail ? { email: credentials.email, password: credentials.password } : { username: credentials.username, password: credentials.password })
    if (answer.errors.length > 0 || answer.data === null || !answer.res.ok) throw graphqlError(answer)
    const access = headerToken(answer.res.headers.get('x-authorization'))
    if (access === undefined) {
      throw new AuthgateError('loginUser answered without a readable X-Authorization header (from another origin, the gateway must list this page\'s origin in GRAPHQL_CORS_ORIGINS or CORS_ORIGINS)', { status: answer.res.status, body: answer.body })
    }
    return receivedTokens('graphql', access, undefined, transport.now())
  },

  async refresh () {
    // Never called: the client ends a session without a refresh token instead of refreshing it.
    throw new TypeError('a header-token session has no refresh token')
  },

  // The session is named by the token's `sid`; ending it needs the token itself, as there is nothing else.
  async logout (transport, tokens) {
    const sid = jwtPayload(tokens.accessToken)?.sid
    if (typeof sid !== 'string') return
    const answer = await graphqlRequest(transport, '/graphql', 'mutation EndSession($id: ID!) { revokeSession(id: $id) }', { id: sid }, tokens.accessToken)
    // A refused token can renew nothing any more: its session is as good as over.
    if (typeof answer.data?.revokeSession === 'boolean' || refusesToken(answer)) return
    throw graphqlError(answer)
  },

  logoutAll: graphql.logoutAll,
  profile: graphql.profile
}

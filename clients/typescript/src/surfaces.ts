// How each surface of the gateway logs in, refreshes, logs out and answers
// "who am I". The client decides when; these say how.
import { AuthgateError, RateLimitedError } from './errors.js'
import {
  bearer, graphqlAttempt, graphqlError, graphqlRequest, postJson, readJson, REFUSED_STATUSES, RefreshRefused, restError,
  type Attempt, type Transport
} from './http.js'
import { receivedTokens, type Surface, type Tokens } from './tokens.js'

/** An email address or a username (every surface accepts either as the login). */
export type Credentials = { email: string, password: string } | { username: string, password: string }

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
  refresh (transport: Transport, tokens: Tokens): Promise<Tokens>
  logout (transport: Transport, tokens: Tokens): Promise<void>
  logoutAll (transport: Transport, accessToken: string): Promise<Attempt<void>>
  profile (transport: Transport, accessToken: string): Promise<Attempt<Profile>>
}

const loginName = (credentials: Credentials): string => 'email' in credentials ? credentials.email : credentials.username

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
    const { res, body } = await postJson(transport, '/auth/logout', { refreshToken: tokens.refreshToken })
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
    const answer = await graphqlRequest(transport, '/graphql', 'mutation Logout($refreshToken: String!) { logout(refreshToken: $refreshToken) }', { refreshToken: tokens.refreshToken })
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

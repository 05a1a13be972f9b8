// The token lifecycle shared by every surface: issue a pair at login, rotate
// a refresh token, verify an access token, end one session or all of a
// user's. No HTTP here; time comes from the injected clock.
import { randomUUID } from 'node:crypto'
import { AuthError } from '../errors.js'
import type { SessionsRepository } from '../accounts/sessions-repository.js'
import type { User } from '../storage/database.js'
import type { AccessClaims, AccessTokens } from './access-tokens.js'
import type { Clock } from './clock.js'
import { hashRefreshToken, looksLikeRefreshToken, newRefreshToken } from './refresh-tokens.js'

export interface ClientInfo {
  userAgent?: string | undefined
  ip?: string | undefined
}

export interface TokenPair {
  accessToken: string
  refreshToken: string
  /** Seconds the access token lives. */
  expiresIn: number
  user: User
}

export interface TokenServiceDeps {
  accessTokens: AccessTokens
  sessions: SessionsRepository
  refreshTtlSeconds: number
  clock: Clock
}

const MAX_USER_AGENT = 512

export function createTokenService ({ accessTokens, sessions, refreshTtlSeconds, clock }: TokenServiceDeps) {
  function accessFor (user: User, familyId: string): string {
    return accessTokens.sign({
      userId: user.id,
      username: user.username,
      email: user.email,
      role: user.role,
      tenantId: user.tenantId,
      sessionId: familyId
    }).token
  }

  function sessionRow (user: User, familyId: string, parentId: string | null, client: ClientInfo) {
    const refreshToken = newRefreshToken()
    return {
      refreshToken,
      row: {
        id: randomUUID(),
        tokenHash: hashRefreshToken(refreshToken),
        familyId,
        parentId,
        userId: user.id,
        expiresAt: new Date(clock.now() + refreshTtlSeconds * 1000),
        userAgent: client.userAgent?.slice(0, MAX_USER_AGENT) ?? null,
        ip: client.ip ?? null
      }
    }
  }

  async function findLiveSession (refreshToken: string) {
    if (!looksLikeRefreshToken(refreshToken)) return null
    const session = await sessions.findByTokenHash(hashRefreshToken(refreshToken))
    if (session === null || session.revokedAt !== null || session.expiresAt.getTime() <= clock.now()) return null
    return session
  }

  return {
    accessTtlSeconds: accessTokens.ttlSeconds,

    /** Starts a new session (a refresh-token family) for an authenticated user. */
    async issue (user: User, client: ClientInfo): Promise<TokenPair> {
      const familyId = randomUUID()
      const { refreshToken, row } = sessionRow(user, familyId, null, client)
      await sessions.create(row)
      return { accessToken: accessFor(user, familyId), refreshToken, expiresIn: accessTokens.ttlSeconds, user }
    },

    /** Retires the presented refresh token and returns a new pair of the same session. */
    async rotate (refreshToken: string, client: ClientInfo): Promise<TokenPair> {
      const session = await findLiveSession(refreshToken)
      if (session === null) throw new AuthError('INVALID_REFRESH_TOKEN')
      if (session.user.disabled) throw new AuthError('ACCOUNT_DISABLED')
      const { refreshToken: next, row } = sessionRow(session.user, session.familyId, session.id, client)
      const created = await sessions.rotate(session.id, new Date(clock.now()), row)
      if (created === null) throw new AuthError('INVALID_REFRESH_TOKEN')
      return { accessToken: accessFor(session.user, session.familyId), refreshToken: next, expiresIn: accessTokens.ttlSeconds, user: session.user }
    },

    /** A new access token for a live refresh token, leaving the refresh token as it is. */
    async refreshAccess (refreshToken: string): Promise<{ accessToken: string, expiresIn: number }> {
      const session = await findLiveSession(refreshToken)
      if (session === null) throw new AuthError('INVALID_REFRESH_TOKEN')
      if (session.user.disabled) throw new AuthError('ACCOUNT_DISABLED')
      return { accessToken: accessFor(session.user, session.familyId), expiresIn: accessTokens.ttlSeconds }
    },

    /** Ends the session the refresh token belongs to. Unknown or spent tokens end nothing (RFC 7009). */
    async revoke (refreshToken: string): Promise<number> {
      if (!looksLikeRefreshToken(refreshToken)) return 0
      const session = await sessions.findByTokenHash(hashRefreshToken(refreshToken))
      if (session === null) return 0
      return sessions.revokeFamily(session.familyId, new Date(clock.now()))
    },

    /** Ends every session of the user; returns how many were live. */
    revokeAll: (userId: number): Promise<number> => sessions.revokeAllForUser(userId, new Date(clock.now())),

    verifyAccess: (token: string): AccessClaims => accessTokens.verify(token),

    /** Whether a verified access token has used up at least `fraction` of its lifetime. */
    isPastLifeFraction (claims: AccessClaims, fraction: number): boolean {
      const now = clock.now() / 1000
      return now - claims.iat >= (claims.exp - claims.iat) * fraction
    },

    /**
     * A fresh access token for the session a verified access token belongs
     * to (sliding renewal). Null once that session has ended or its user is
     * disabled, so renewal never outlives logout or the refresh lifetime.
     */
    async renewAccess (claims: AccessClaims): Promise<{ accessToken: string, expiresIn: number } | null> {
      const session = await sessions.findLiveInFamily(claims.sid, new Date(clock.now()))
      if (session === null || session.user.disabled || String(session.userId) !== claims.sub) return null
      return { accessToken: accessFor(session.user, session.familyId), expiresIn: accessTokens.ttlSeconds }
    }
  }
}

export type TokenService = ReturnType<typeof createTokenService>
